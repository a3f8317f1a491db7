import KServeProtocol


/// Which of a model's version folders are served.
///
/// Written in the model's `config.yaml` in Triton's shape or a short form; with none, every version is served:
///
/// ```yaml
/// version_policy: { latest: { num_versions: 2 } }   # or: { latest: 2 }    the 2 highest versions (`latest`: 1)
/// version_policy: { all: {} }                       # or: all             every version (the default)
/// version_policy: { specific: { versions: [1, 3] } } # or: { specific: [1, 3] }
/// ```
public enum VersionPolicy: Sendable, Equatable, CustomStringConvertible {
    /// The `count` highest versions.
    case latest(Int)
    /// Every version.
    case all
    /// The listed versions (those that exist).
    case specific([Int])

    /// `latest` with no count, as in Triton: the highest version only.
    public static let `default` = VersionPolicy.latest(1)

    /// The versions to serve out of `available`, ascending.
    public func select(from available: some Collection<Int>) -> [Int] {
        let sorted = Set(available).sorted()
        switch self {
        case .latest(let count): return Array(sorted.suffix(max(count, 0)))
        case .all: return sorted
        case .specific(let wanted):
            let wanted = Set(wanted)
            return sorted.filter { wanted.contains($0) }
        }
    }

    /// Checks the values: `latest` needs at least 1, `specific` at least one non-negative version.
    public func validate() throws(ServingError) {
        switch self {
        case .latest(let count) where count < 1:
            throw .badRequest("version_policy latest needs num_versions >= 1, \(count) given")
        case .specific(let versions) where versions.isEmpty || versions.contains(where: { $0 < 0 }):
            throw .badRequest("version_policy specific needs one or more versions >= 0, \(versions) given")
        default: return
        }
    }

    /// The policy as written in `config.yaml`'s terms: `latest(n)`, `all` or `specific(1,2)`.
    public var description: String {
        switch self {
        case .latest(let count): "latest(\(count))"
        case .all: "all"
        case .specific(let versions): "specific(\(versions.map(String.init).joined(separator: ",")))"
        }
    }
}

extension VersionPolicy: Codable {
    private enum Keys: String, CodingKey {
        case latest, all, specific
    }

    private enum InnerKeys: String, CodingKey {
        case numVersions = "num_versions"
        case versions
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let word = try? single.decode(String.self) {
            switch word {
            case "all": self = .all
            case "latest": self = .default
            default:
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "unknown version policy '\(word)'"))
            }
            return
        }
        let container = try decoder.container(keyedBy: Keys.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "version_policy needs exactly one of latest, all, specific"))
        }
        switch key {
        case .all:
            self = .all
        case .latest:
            if let count = try? container.decode(Int.self, forKey: .latest) {
                self = .latest(count)
            } else {
                let inner = try container.nestedContainer(keyedBy: InnerKeys.self, forKey: .latest)
                self = .latest(try inner.decodeIfPresent(Int.self, forKey: .numVersions) ?? 1)
            }
        case .specific:
            if let versions = try? container.decode([Int].self, forKey: .specific) {
                self = .specific(versions)
            } else {
                let inner = try container.nestedContainer(keyedBy: InnerKeys.self, forKey: .specific)
                self = .specific(try inner.decode([Int].self, forKey: .versions))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .latest(let count):
            var inner = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .latest)
            try inner.encode(count, forKey: .numVersions)
        case .all:
            _ = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .all)
        case .specific(let versions):
            var inner = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .specific)
            try inner.encode(versions, forKey: .versions)
        }
    }
}
