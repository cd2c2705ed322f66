// How the domain boots: kernel, ramdisk, command line, bootloader; and the keys that depend
// on the domain's type (xl_parse.c's switch on b_info->type).
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ConfigMapper {
    mutating func mapBoot() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        for (key, field) in [("kernel", \libxl_domain_build_info.kernel),
                             ("ramdisk", \libxl_domain_build_info.ramdisk),
                             ("device_tree", \libxl_domain_build_info.device_tree)] {
            guard let path = try file.string(key) else { continue }
            if options.checkFiles {
                try checkReadable(path, key: key)
            }
            let pointer = withUnsafeMutablePointer(to: &b.pointee[keyPath: field]) { $0 }
            setString(pointer, path)
        }
        if let cmdline = try commandLine() { setString(&b.pointee.cmdline, cmdline) }

        try setDefbool(&config.pointee.c_info.driver_domain, "driver_domain")
        try setDefbool(&b.pointee.acpi, "acpi")

        if let bootloader = try file.string("bootloader") { setString(&b.pointee.bootloader, bootloader) }
        if file.isSet("bootloader_args") {
            let arguments: [String]
            if file.isList("bootloader_args") {
                arguments = try file.list("bootloader_args") ?? []
            } else {
                warnings.append(file.location("bootloader_args")
                    + "bootloader_args as a string is deprecated; use a list")
                arguments = (try file.string("bootloader_args") ?? "")
                    .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
            }
            b.pointee.bootloader_args = Self.stringList(arguments)
        }
        try setDefbool(&b.pointee.nested_hvm, "nestedhvm")
    }

    /// xl's parse_cmdline: `cmdline` wins; else "root=ROOT EXTRA", "root=ROOT" or EXTRA.
    mutating func commandLine() throws(XenError) -> String? {
        let cmdline = try file.string("cmdline")
        let root = try file.string("root"), extra = try file.string("extra")
        if let cmdline {
            if root != nil || extra != nil {
                warnings.append(file.location("cmdline") + "root and extra are ignored in favour of cmdline")
            }
            return cmdline
        }
        switch (root, extra) {
        case let (root?, extra?): return "root=\(root) \(extra)"
        case let (root?, nil): return "root=\(root)"
        case let (nil, extra?): return extra
        case (nil, nil): return nil
        }
    }

    mutating func mapTypeSpecific() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        switch config.pointee.c_info.type {
        case LIBXL_DOMAIN_TYPE_HVM:
            // xl drops a kernel that is hvmloader: the firmware is chosen elsewhere.
            if let kernel = b.pointee.kernel, String(cString: kernel).split(separator: "/").last == "hvmloader" {
                warnings.append(file.location("kernel")
                    + "kernel = hvmloader is ignored for HVM guests; use firmware_override for other firmware")
                free(b.pointee.kernel)
                b.pointee.kernel = nil
            }
            try mapHVM()
        default:
            try mapPVFirmware()
            if b.pointee.bootloader == nil && b.pointee.kernel == nil {
                throw XenError(code: .invalidConfig,
                               message: "\(file.source): neither kernel nor bootloader is given",
                               hint: "a PV or PVH guest needs kernel = \"...\" or bootloader = \"pygrub\"")
            }
        }
    }

    /// The file must exist and be readable now: libxl would only find out halfway through
    /// building the domain.
    func checkReadable(_ path: String, key: String) throws(XenError) {
        if access(path, R_OK) != 0 {
            let reason = String(cString: strerror(errno))
            throw file.error(key, "cannot read \(path): \(reason)")
        }
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw file.error(key, "\(path) is a directory")
        }
    }

    /// A NULL-terminated array of strdup'ed strings (libxl_string_list), freed by libxl.
    static func stringList(_ items: [String]) -> libxl_string_list {
        let list = calloc(items.count + 1, MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)!
            .assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self)
        for (index, item) in items.enumerated() { list[index] = strdup(item) }
        return list
    }
}
