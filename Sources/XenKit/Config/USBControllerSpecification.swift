// A USB controller given on the command line (xk usbctrl-attach), parsed by the config file's
// usbctrl= code, so that a spec means the same in both places and fails with the same words.
// Like NetworkSpecification, it owns a heap-allocated libxl device struct, disposed once.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A USB controller to attach: `type=`, `version=` and `ports=`, as words or comma-separated.
///
/// The corresponding libxl type is `libxl_device_usbctrl`.
public struct USBControllerSpecification: ~Copyable {
    let raw: UnsafeMutablePointer<libxl_device_usbctrl>
    /// The words as given, for messages.
    public let text: String

    /// Parses the words of a usbctrl spec.
    ///
    /// - Throws: ``XenError`` naming the word and the bad option.
    public init(words: [String]) throws(XenError) {
        text = words.joined(separator: " ")
        raw = try ConfigMapper.onScratchConfig { (mapper: inout ConfigMapper, _) throws(XenError) in
            let controller = UnsafeMutablePointer<libxl_device_usbctrl>.allocate(capacity: 1)
            libxl_device_usbctrl_init(controller)
            do throws(XenError) {
                for (index, word) in words.enumerated() {
                    for token in ConfigMapper.tokens(word) {
                        try mapper.parseUSBControllerOption(token, controller: controller, index: index, spec: word)
                    }
                }
            } catch {
                libxl_device_usbctrl_dispose(controller)
                controller.deallocate()
                throw error
            }
            return controller
        }
    }

    deinit {
        libxl_device_usbctrl_dispose(raw)
        raw.deallocate()
    }

    /// "devicemodel", "qusb", "pv", or "auto" (libxl chooses by the guest's type).
    public var type: String {
        libxl_usbctrl_type_to_string(raw.pointee.type).map { String(cString: $0).lowercased() } ?? "auto"
    }

    /// The controller as libxl JSON.
    public func json() throws(XenError) -> String {
        guard let text = libxl_device_usbctrl_to_json(nil, raw) else {
            throw XenError(code: .operationFailed, message: "cannot convert usbctrl '\(self.text)' to JSON")
        }
        defer { free(text) }
        return String(cString: text)
    }
}
