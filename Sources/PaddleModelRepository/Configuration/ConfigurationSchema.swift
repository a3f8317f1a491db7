import Foundation
import KServeProtocol
import Yams

/// The keys and value kinds a model's `config.yaml` may hold.
///
/// ``ModelConfiguration`` and ``ManagementSettings`` each decode their own keys from the same file, so neither can
/// tell an unknown key from the other's. This schema knows them all: an unknown key (for example Triton's
/// `instance_group`) or a value of the wrong kind is an error that names the key, its line and the keys known,
/// instead of a setting that is silently ignored.
enum ConfigurationSchema {
    indirect enum Kind: Sendable {
        case integer, boolean, number, string, integers
        /// One of the given words.
        case oneOf([String])
        case mapping([String: Kind])
        case list(Kind)
        /// A mapping from version numbers to integers (`routing.weights`).
        case versionMap
        /// `all` | `latest` | `{latest: N}` | `{latest: {num_versions: N}}` | `{all: {}}` | `{specific: [..]}` |
        /// `{specific: {versions: [..]}}`.
        case versionPolicy
    }

    private static let tensor: Kind = .mapping(["name": .string, "dims": .integers, "datatype": .string])

    /// Every top-level key of `config.yaml`.
    static let keys: [String: Kind] = [
        "name": .string, "pool_size": .integer, "threads": .integer, "onednn": .boolean, "memory_optim": .boolean,
        "onednn_cache_capacity": .integer, "queue_capacity": .integer, "timeout_ms": .integer,
        "max_batch_size": .integer, "warmup": .boolean, "load": .oneOf(["eager", "on_demand"]),
        "load_timeout_ms": .integer,
        "dynamic_batching": .mapping(["preferred_batch_sizes": .integers, "max_queue_delay_us": .integer]),
        "rate_limit": .mapping(["requests_per_second": .number, "burst": .integer]),
        "inputs": .list(tensor), "outputs": .list(tensor),
        "version_policy": .versionPolicy,
        "routing": .mapping(["weights": .versionMap, "sticky_header": .string]),
    ]

    /// Checks `text` against the schema.
    ///
    /// - Throws: `ServingError` (400) naming the first unknown key or wrong value, with its line.
    static func check(yaml text: String, source: String) throws(ServingError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw .badRequest("invalid model configuration \(source): \(error)")
        }
        guard let root, !isNull(root) else { return }
        do {
            try check(root, as: .mapping(keys), path: "")
        } catch let problem as Problem {
            throw .badRequest("invalid model configuration \(source): \(problem.text)")
        } catch {
            throw .badRequest("invalid model configuration \(source): \(error)")
        }
    }

    private struct Problem: Error {
        let text: String
    }

    private static func line(_ node: Node) -> String {
        node.mark.map { "line \($0.line)" } ?? "an unknown line"
    }

    private static func isNull(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node { return scalar.style == .plain && NSNull.construct(from: scalar) != nil }
        return false
    }

    private static func check(_ node: Node, as kind: Kind, path: String) throws(Problem) {
        if isNull(node) { return }  // `key:` with no value is the same as leaving the key out
        let what = path.isEmpty ? "the configuration" : "'\(path)'"
        func wrong(_ expected: String) -> Problem {
            let given: String
            switch node {
            case .scalar(let scalar): given = "'\(scalar.string)'"
            case .mapping: given = "a mapping"
            case .sequence: given = "a list"
            }
            return Problem(text: "\(what) at \(line(node)) must be \(expected), not \(given)")
        }
        switch kind {
        case .integer:
            guard case .scalar(let scalar) = node, Int.construct(from: scalar) != nil else { throw wrong("an integer") }
        case .boolean:
            guard case .scalar(let scalar) = node, Bool.construct(from: scalar) != nil else {
                throw wrong("true or false")
            }
        case .number:
            guard case .scalar(let scalar) = node, Double.construct(from: scalar) != nil else { throw wrong("a number") }
        case .string:
            guard case .scalar = node else { throw wrong("a string") }
        case .oneOf(let words):
            guard case .scalar(let scalar) = node, words.contains(scalar.string) else {
                throw wrong("one of " + words.joined(separator: ", "))
            }
        case .integers:
            guard case .sequence(let items) = node else { throw wrong("a list of integers") }
            for (index, item) in items.enumerated() { try check(item, as: .integer, path: "\(path)[\(index)]") }
        case .list(let element):
            guard case .sequence(let items) = node else { throw wrong("a list") }
            for (index, item) in items.enumerated() { try check(item, as: element, path: "\(path)[\(index)]") }
        case .mapping(let known):
            guard case .mapping(let mapping) = node else { throw wrong("a mapping") }
            for (keyNode, value) in mapping {
                let key = keyNode.string ?? "\(keyNode)"
                let child = path.isEmpty ? key : path + "." + key
                guard let childKind = known[key] else {
                    throw Problem(
                        text: "unknown key '\(child)' at \(line(keyNode)) (known keys\(path.isEmpty ? "" : " of '\(path)'"): "
                            + "\(known.keys.sorted().joined(separator: ", ")))")
                }
                try check(value, as: childKind, path: child)
            }
        case .versionMap:
            guard case .mapping(let mapping) = node else { throw wrong("a mapping of version: weight") }
            for (keyNode, value) in mapping {
                guard case .scalar(let scalar) = keyNode, Int.construct(from: scalar) != nil else {
                    throw Problem(text: "'\(path)' at \(line(keyNode)) has a key that is not a version number: '\(keyNode.string ?? "")'")
                }
                try check(value, as: .integer, path: path + "." + scalar.string)
            }
        case .versionPolicy:
            switch node {
            case .scalar(let scalar):
                guard ["all", "latest"].contains(scalar.string) else { throw wrong("all, latest or a mapping") }
            case .mapping(let mapping):
                guard mapping.count == 1, let (keyNode, value) = mapping.first.map({ ($0.key, $0.value) }) else {
                    throw Problem(text: "\(what) at \(line(node)) needs exactly one of all, latest, specific")
                }
                let key = keyNode.string ?? ""
                let child = path + "." + key
                switch key {
                case "all": try check(value, as: .mapping([:]), path: child)
                case "latest":
                    if case .mapping = value {
                        try check(value, as: .mapping(["num_versions": .integer]), path: child)
                    } else {
                        try check(value, as: .integer, path: child)
                    }
                case "specific":
                    if case .mapping = value {
                        try check(value, as: .mapping(["versions": .integers]), path: child)
                    } else {
                        try check(value, as: .integers, path: child)
                    }
                default:
                    throw Problem(
                        text: "unknown key '\(child)' at \(line(keyNode)) (known keys of '\(path)': all, latest, specific)")
                }
            case .sequence:
                throw wrong("all, latest or a mapping")
            }
        }
    }
}
