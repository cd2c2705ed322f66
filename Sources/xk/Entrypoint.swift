import XKCommands

// The executable is a stub: every command lives in the XKCommands library.
@main
struct Entrypoint {
    static func main() {
        XK.main()
    }
}
