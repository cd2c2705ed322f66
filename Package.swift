// swift-tools-version: 6.0
//
// XenKit: a Xen toolstack in Swift. `xk` replaces `xl` for an operator's daily work.
//
// Layers:
//   CXen       system library over Debian's libxen-dev / libyajl-dev / libzstd-dev (module map + one shim header)
//   XenKit     safe Swift wrappers; no libxl type escapes (`internal import CXen`)
//   XKCommands the `xk` subcommands as a library (one file per subcommand)
//   xk         the executable: a stub that calls XKCommands
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "XenKit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "xk", targets: ["xk"]),
        .library(name: "XenKit", targets: ["XenKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CXen",
            pkgConfig: "xenlight",
            providers: [.apt(["libxen-dev", "libyajl-dev", "libzstd-dev"])]
        ),
        .target(
            name: "XenKit",
            dependencies: ["CXen"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "XKCommands",
            dependencies: [
                "XenKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "xk",
            dependencies: ["XKCommands"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XenKitTests",
            dependencies: ["XenKit"],
            exclude: ["Fixtures"],   // xl's JSON, read from the source tree by CorpusTests
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XKCommandsTests",
            dependencies: ["XKCommands", "XenKit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LabTests",
            dependencies: ["XenKit"],   // its one spawn helper (ChildProcess); the tests drive xk and xl as tools
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
