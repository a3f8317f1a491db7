import KServeProtocol


/// How requests for a model are spread over its ready versions: per-version traffic weights and an optional
/// sticky header.
///
/// In the model's `config.yaml`:
///
/// ```yaml
/// routing:
///   weights: { 2: 70, 3: 30 }    # version: weight; versions not listed get no weighted traffic
///   sticky_header: x-user-id     # optional: the same header value always reaches the same version
/// ```
///
/// With no weights (or none of the weighted versions ready) every request goes to the highest ready version.
/// A request can always pin a version with `/versions/{v}` in the URL or an `x-model-version` header.
public struct VersionRouting: Sendable, Equatable, Codable {
    /// Traffic weight per version (non-negative; the share of a version is its weight over the sum of the ready
    /// weighted versions).
    public var weights: [Int: Int]
    /// The request header whose value keeps a client on one version (lower-cased), if any.
    public var stickyHeader: String?

    /// Routing with the given weights (version to weight) and sticky header.
    public init(weights: [Int: Int] = [:], stickyHeader: String? = nil) {
        self.weights = weights
        self.stickyHeader = stickyHeader?.lowercased()
    }

    enum CodingKeys: String, CodingKey {
        case weights
        case stickyHeader = "sticky_header"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let raw = try container.decodeIfPresent([String: Int].self, forKey: .weights) ?? [:]
        var weights: [Int: Int] = [:]
        for (key, weight) in raw {
            guard let version = try? RepositoryPaths.parseVersion(key) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .weights, in: container, debugDescription: "'\(key)' is not a version number")
            }
            weights[version] = weight
        }
        self.init(weights: weights, stickyHeader: try container.decodeIfPresent(String.self, forKey: .stickyHeader))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(
            Dictionary(uniqueKeysWithValues: weights.map { (String($0.key), $0.value) }), forKey: .weights)
        try container.encodeIfPresent(stickyHeader, forKey: .stickyHeader)
    }

    /// Checks that weights are non-negative and sum to at most 1,000,000, and the sticky header is a header name.
    public func validate() throws(ServingError) {
        for (version, weight) in weights where weight < 0 || version < 0 {
            throw .badRequest("routing weight \(weight) for version \(version) is negative")
        }
        guard weights.values.reduce(0, +) <= 1_000_000 else {
            throw .badRequest("routing weights sum to more than 1000000")
        }
        if let stickyHeader {
            let valid = !stickyHeader.isEmpty && stickyHeader.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_")
            }
            guard valid else { throw .badRequest("routing sticky_header '\(stickyHeader)' is not a header name") }
        }
    }
}

/// Why a request went to the version it went to (for logs and metrics).
public enum RouteReason: String, Sendable {
    /// `/versions/{v}` or `x-model-version` named it.
    case pinned
    /// The sticky header's value was hashed onto the weights.
    case sticky
    /// A weighted random choice.
    case weighted
    /// No weights apply: the highest ready version.
    case latest
}

/// Picks a version for each request from the ready versions, by ``VersionRouting``.
///
/// Weighted choices use a random number generator; sticky choices hash the header value with FNV-1a (64 bit,
/// then a SplitMix64 finaliser), which is the same in every process and on every run, unlike Swift's `Hasher`.
/// A sticky key maps to a fixed point of the weight range, so it keeps its version as long as the weights and
/// the set of ready weighted versions stay the same. A value type: pure and thread-safe.
public struct VersionRouter: Sendable, Equatable {
    /// The weights and the sticky header it applies.
    public var routing: VersionRouting

    /// A router that applies `routing`.
    public init(routing: VersionRouting = VersionRouting()) {
        self.routing = routing
    }

    /// The version for a request, or `nil` when no version is ready.
    ///
    /// - Parameters:
    ///   - ready: The versions that can serve now.
    ///   - stickyKey: The value of the sticky header, if the routing has one and the request carries it.
    ///   - generator: The random source for weighted choices.
    public func choose(
        among ready: some Collection<Int>, stickyKey: String? = nil, using generator: inout some RandomNumberGenerator
    ) -> (version: Int, reason: RouteReason)? {
        let readySet = Set(ready)
        guard let highest = readySet.max() else { return nil }
        let candidates = routing.weights.filter { readySet.contains($0.key) && $0.value > 0 }.sorted { $0.key < $1.key }
        let total = candidates.reduce(0) { $0 + $1.value }
        guard total > 0 else { return (highest, .latest) }
        let point: Int
        let reason: RouteReason
        if routing.stickyHeader != nil, let stickyKey {
            point = Int(Self.stableHash(stickyKey) % UInt64(total))
            reason = .sticky
        } else {
            point = Int.random(in: 0..<total, using: &generator)
            reason = .weighted
        }
        var upper = 0
        for (version, weight) in candidates {
            upper += weight
            if point < upper { return (version, reason) }
        }
        return (candidates[candidates.count - 1].key, reason)
    }

    /// ``choose(among:stickyKey:using:)`` with the system's random generator.
    public func choose(among ready: some Collection<Int>, stickyKey: String? = nil) -> (version: Int, reason: RouteReason)? {
        var generator = SystemRandomNumberGenerator()
        return choose(among: ready, stickyKey: stickyKey, using: &generator)
    }

    /// FNV-1a over the UTF-8 bytes, then SplitMix64's finaliser to spread the low bits. Stable across processes.
    public static func stableHash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        return hash ^ (hash >> 31)
    }
}
