/// xl's CPU lists (parse_cpurange in tools/xl/xl_parse.c): comma-separated CPUs, ranges,
/// "node:N" or "nodes:N-M", and "all", each optionally "^"-prefixed to remove it, applied left
/// to right. Used by configs (`cpus=`), cpupool configs and the cpupool commands.
public enum CPUList {
    /// Why a list could not be read.
    public struct Problem: Error, Equatable, Sendable {
        public var message: String
        public var hint: String?
    }

    /// The CPUs `text` names on `host`.
    public static func parse(_ text: String, host: HostTopology) throws(Problem) -> Set<Int> {
        var cpus = Set<Int>()
        for var item in ConfigMapper.tokens(text).map({ Substring($0) }) {
            let exclude = item.hasPrefix("^")
            if exclude { item = item.dropFirst() }
            var nodes = false
            if item.hasPrefix("nodes:") { item = item.dropFirst(6); nodes = true }
            else if item.hasPrefix("node:") { item = item.dropFirst(5); nodes = true }
            if item == "all" {
                if exclude { throw Problem(message: "\"^all\" is not allowed") }
                // As libxl_bitmap_set_any: every bit of the map, which is whole bytes.
                cpus.formUnion(0..<((host.cpuCount + 7) / 8 * 8))
                continue
            }
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let low = Int(bounds[0]), low >= 0,
                  let high = bounds.count == 2 ? Int(bounds[1]) : low, high >= low, high < 1 << 20 else {
                throw Problem(message: "invalid CPU range \"\(item)\"", hint: "e.g. \"0-3,^2\", \"node:0\" or \"all\"")
            }
            for number in low...high {
                let members: [Int]
                if nodes {
                    guard number < host.nodeCPUs.count else {
                        throw Problem(message: "node \(number) does not exist (the host has \(host.nodeCPUs.count))")
                    }
                    members = host.nodeCPUs[number]
                } else {
                    members = [number]
                }
                if exclude { cpus.subtract(members) } else { cpus.formUnion(members) }
            }
        }
        return cpus
    }

    /// "0,1,2,6": every CPU, sorted, as `xl cpupool-list -c` prints them.
    public static func commaSeparated(_ cpus: some Sequence<Int>) -> String {
        cpus.sorted().map(String.init).joined(separator: ",")
    }
}
