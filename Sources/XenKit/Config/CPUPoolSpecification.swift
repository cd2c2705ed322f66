// A CPU pool as xl's cpupool config describes it (xl cpupool-create, xlcpupool.cfg(5)):
// `name`, `sched`, and the CPUs as `cpus = [ "1", "2" ]`, `cpus = "1-3,^2"` or
// `nodes = [ "0" ]` (every free CPU of those nodes). The file is read by libxlutil as xl reads
// it, KEY=VALUE arguments appended after it; a bad value names the file, the line and the key.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What `xk cpupool-create` builds.
public struct CPUPoolSpecification: Sendable, Equatable {
    public enum CPUs: Sendable, Equatable {
        /// None: the pool starts empty.
        case none
        /// `cpus = [ ... ]`: exactly these, each of which must be free.
        case list([Int])
        /// `cpus = "..."`: a CPU list as xl's cpus= takes it, each of which must be free.
        case range(String)
        /// `nodes = [ ... ]`: every free CPU of these nodes.
        case nodes([Int])
    }

    /// The file (or "command line").
    public var source: String
    public var name: String
    /// nil: the host's default scheduler.
    public var scheduler: String?
    public var cpus: CPUs = .none

    /// Reads a cpupool config (`path` nil: the KEY=VALUE arguments alone, as xl).
    public static func load(path: String?, overrides: [String]) throws(XenError) -> CPUPoolSpecification {
        var text = ""
        if let path {
            do {
                text = try readFile(path)
            } catch {
                throw XenError(code: .invalidConfig, message: "\(path): cannot read the cpupool config: \(error.reason)")
            }
        }
        let first = text.split(separator: "\n", omittingEmptySubsequences: false).count + (text.hasSuffix("\n") || text.isEmpty ? 0 : 1)
        let source = path ?? "command line"
        let file = try XLConfigFile(source: source, text: text + (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + overrides.joined(separator: "\n") + "\n",
                                    firstOverrideLine: max(first, 1), overrides: overrides)
        return try parse(file, path: path)
    }

    static func parse(_ file: XLConfigFile, path: String?) throws(XenError) -> CPUPoolSpecification {
        for statement in file.statements where !["name", "sched", "cpus", "nodes"].contains(statement.key) {
            throw XenError(code: .invalidConfig, message: file.location(line: statement.line) + "unknown key '\(statement.key)'",
                           hint: "a cpupool config has name, sched, cpus and nodes")
        }
        // xl: the name, else the file's name (its basename).
        guard let name = try file.string("name") ?? path.map({ String($0.split(separator: "/").last ?? "") }) else {
            throw XenError(code: .invalidConfig, message: "\(file.source): the pool has no name", hint: "name=\"POOL\"")
        }
        try checkName(name, source: file.location("name") + "name")
        var spec = CPUPoolSpecification(source: file.source, name: name)
        if let scheduler = try file.string("sched") {
            guard CPUPool.schedulers.contains(scheduler) else {
                throw file.error("sched", "unknown scheduler \"\(scheduler)\"", hint: "one of " + CPUPool.schedulers.joined(separator: ", "))
            }
            spec.scheduler = scheduler
        }
        if file.isSet("nodes") {
            let items = try file.list("nodes") ?? []
            spec.cpus = .nodes(try items.map { item throws(XenError) in
                guard let node = Int(item), node >= 0 else { throw file.error("nodes", "\"\(item)\" is not a node number") }
                return node
            })
        } else if file.isList("cpus") {
            let items = try file.list("cpus") ?? []
            spec.cpus = .list(try items.map { item throws(XenError) in
                guard let cpu = Int(item), cpu >= 0 else { throw file.error("cpus", "\"\(item)\" is not a CPU number") }
                return cpu
            })
        } else if let range = try file.string("cpus") {
            spec.cpus = .range(range)
        }
        return spec
    }

    /// A pool name xk accepts: printable, no more than 64 characters (it goes into xenstore
    /// and into every listing).
    static func checkName(_ name: String, source: String) throws(XenError) {
        let fine = !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7f }
        guard fine else {
            throw XenError(code: .invalidConfig, message: "\(source): '\(DomainConfiguration.printable(name))' cannot be a pool name",
                           hint: "1 to 64 printable characters, no spaces")
        }
    }

    /// The CPUs this pool takes, each of them free; a CPU that is not is refused, naming the
    /// pool that has it.
    func resolveCPUs(free: Set<Int>, pools: [CPUPool], host: HostTopology) throws(XenError) -> Set<Int> {
        func notFree(_ cpu: Int) -> XenError {
            if let owner = pools.first(where: { $0.cpus.contains(cpu) }) {
                return XenError(code: .operationFailed, message: "\(source): CPU \(cpu) is in CPU pool '\(owner.name)'",
                                hint: "free it first: xk cpupool-cpu-remove \(owner.name) \(cpu)")
            }
            return XenError(code: .invalidConfig, message: "\(source): CPU \(cpu) does not exist (the host has \(host.cpuCount))")
        }
        switch cpus {
        case .none:
            return []
        case .list(let list):
            for cpu in list where !free.contains(cpu) { throw notFree(cpu) }
            return Set(list)
        case .range(let text):
            let set: Set<Int>
            do throws(CPUList.Problem) {
                set = try CPUList.parse(text, host: host)
            } catch {
                throw XenError(code: .invalidConfig, message: "\(source): cpus: \(error.message)", hint: error.hint)
            }
            for cpu in set.sorted() where !free.contains(cpu) { throw notFree(cpu) }
            return set
        case .nodes(let nodes):
            var set = Set<Int>()
            for node in nodes {
                guard node < host.nodeCPUs.count else {
                    throw XenError(code: .invalidConfig, message: "\(source): node \(node) does not exist (the host has \(host.nodeCPUs.count))")
                }
                set.formUnion(host.nodeCPUs[node].filter(free.contains))
            }
            if set.isEmpty {
                throw XenError(code: .operationFailed, message: "\(source): no free CPU in node(s) " + nodes.map(String.init).joined(separator: ","))
            }
            return set
        }
    }
}
