// Robustness: thousands of broken variants of the corpus (truncated lines, wrong types,
// random bytes, huge numbers, unbalanced quotes, ...). The mapper must never crash or hang,
// and every rejection must name the file and the line (or be one of the few whole-file
// problems, such as a missing name). Deterministic: a fixed seed, so a failure reproduces.
import Foundation
import Testing
@testable import XenKit

/// SplitMix64: small, fast and reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Mutation: CaseIterable {
    case truncateLine, wrongType, randomBytes, hugeNumber, unbalancedQuote, deleteCharacter,
         duplicateLine, swapLines, dropListBracket, emptyValue

    static let oddValues = ["99999999999999999999999", "-1", "4294967296", "0x7fffffffffffffff", "1e9",
                            "\"\"", "[]", "[ [ 'x' ] ]", "'0-99999999'", "\"node:999\"", "\"^all\"",
                            "\"\u{7F}\u{1B}\"", "'a,,b,=,'", "\"mac=zz\""]

    func apply(to text: String, using rng: inout SeededGenerator) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { return text }
        let index = Int.random(in: 0..<lines.count, using: &rng)
        var line = lines[index]
        switch self {
        case .truncateLine:
            line = String(line.prefix(Int.random(in: 0...line.count, using: &rng)))
        case .wrongType, .hugeNumber:
            if let equals = line.firstIndex(of: "=") {
                let value = self == .hugeNumber ? Self.oddValues[Int.random(in: 0..<5, using: &rng)]
                    : Self.oddValues.randomElement(using: &rng)!
                line = line[...equals] + " " + value
            }
        case .randomBytes:
            let count = Int.random(in: 1...8, using: &rng)
            let bytes = (0..<count).map { _ in UInt8.random(in: 1...255, using: &rng) }
            let insert = String(decoding: bytes, as: UTF8.self)
            let at = line.index(line.startIndex, offsetBy: Int.random(in: 0...line.count, using: &rng))
            line.insert(contentsOf: insert, at: at)
        case .unbalancedQuote:
            if let quote = line.lastIndex(where: { $0 == "\"" || $0 == "'" }) {
                line.remove(at: quote)
            } else {
                line += "\""
            }
        case .deleteCharacter:
            if !line.isEmpty { line.remove(at: line.index(line.startIndex, offsetBy: Int.random(in: 0..<line.count, using: &rng))) }
        case .duplicateLine:
            lines.insert(line, at: index)
        case .swapLines:
            let other = Int.random(in: 0..<lines.count, using: &rng)
            lines.swapAt(index, other)
            line = lines[index]
        case .dropListBracket:
            if let bracket = line.lastIndex(of: "]") ?? line.firstIndex(of: "[") { line.remove(at: bracket) }
        case .emptyValue:
            if let equals = line.firstIndex(of: "=") { line = String(line[...equals]) }
        }
        lines[index] = line
        return lines.joined(separator: "\n")
    }
}

@Suite struct ConfigMutationTests {
    /// Problems that concern the whole file and so have no line.
    static let wholeFileProblems = ["the domain has no name", "neither kernel nor bootloader", "cannot parse"]

    @Test(.timeLimit(.minutes(5)))
    func mutatedConfigsAreRejectedWithFileAndLine() throws {
        var rng = SeededGenerator(state: 20261125)
        let options = DomainConfiguration.LoadOptions(checkFiles: false, host: Corpus.labHost)
        var accepted = 0, rejected = 0
        var unlocated: [String] = []
        let configs = Corpus.configs()
        #expect(!configs.isEmpty)
        let rounds = max(1, 4000 / max(configs.count, 1))
        for url in configs {
            let original = try String(contentsOf: url, encoding: .utf8)
            let source = "corpus/" + url.lastPathComponent
            for _ in 0..<rounds {
                var text = original
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    text = Mutation.allCases.randomElement(using: &rng)!.apply(to: text, using: &rng)
                }
                do {
                    let config = try DomainConfiguration.parse(text: text, source: source, options: options)
                    _ = try config.json()
                    accepted += 1
                } catch {
                    rejected += 1
                    #expect(error.code == .invalidConfig, "\(source): \(error)")
                    let rest = error.message.dropFirst(source.count + 1)
                    let hasLine = error.message.hasPrefix(source + ":") && rest.first?.isNumber == true
                    let wholeFile = error.message.hasPrefix(source + ": ")
                        && Self.wholeFileProblems.contains { rest.dropFirst().hasPrefix($0) }
                    if !hasLine && !wholeFile { unlocated.append(error.message) }
                }
            }
        }
        #expect(unlocated.isEmpty, "\(unlocated.count) rejections without file and line, e.g. \(unlocated.prefix(5))")
        #expect(accepted + rejected >= 4000 - configs.count)
        #expect(rejected > accepted / 4, "the mutations should break many configs: \(rejected) of \(accepted + rejected)")
    }
}
