import Foundation
import KServeProtocol
import Yams

/// The model-management keys of a model's `config.yaml`: which versions to serve and how to route between them.
///
/// Read from the same file as ``ModelConfiguration`` (each decodes its own keys; `ConfigurationSchema` rejects keys
/// that neither knows):
///
/// ```yaml
/// version_policy: { latest: { num_versions: 2 } }
/// routing:
///   weights: { 2: 70, 3: 30 }
///   sticky_header: x-user-id
/// ```
///
/// Both apply in place: changing them never reloads a model (a policy change loads or unloads whole versions).
public struct ManagementSettings: Sendable, Equatable, Codable {
    /// `version_policy`: which versions to serve (default: all).
    public var versionPolicy: VersionPolicy?
    /// `routing`: how unpinned requests are spread over the served versions.
    public var routing: VersionRouting?

    /// Settings with these keys.
    public init(versionPolicy: VersionPolicy? = nil, routing: VersionRouting? = nil) {
        self.versionPolicy = versionPolicy
        self.routing = routing
    }

    enum CodingKeys: String, CodingKey {
        case versionPolicy = "version_policy"
        case routing
    }

    /// The policy in force: every version when none is written (so all published versions can share traffic).
    public var resolvedPolicy: VersionPolicy { versionPolicy ?? .all }

    /// Parses YAML text (the keys of ``ModelConfiguration`` are left to it; unknown keys are errors).
    ///
    /// - Throws: `ServingError` (400) describing the problem.
    public static func parse(yaml text: String, source: String = "config") throws(ServingError) -> ManagementSettings {
        let settings: ManagementSettings
        try ConfigurationSchema.check(yaml: text, source: source)
        do {
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return ManagementSettings() }
            settings = try YAMLDecoder().decode(ManagementSettings.self, from: text)
        } catch {
            throw .badRequest("invalid model configuration \(source): \(error)")
        }
        do {
            try settings.versionPolicy?.validate()
            try settings.routing?.validate()
        } catch {
            throw .badRequest("invalid model configuration \(source): \(error.message)")
        }
        return settings
    }

    /// Reads `config.yaml` (or `config.yml`) in the model folder `directory`; empty settings when neither exists.
    public static func load(directory: String) throws(ServingError) -> ManagementSettings {
        for name in ["config.yaml", "config.yml"] {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            return try parse(yaml: String(decoding: data, as: UTF8.self), source: path)
        }
        return ManagementSettings()
    }
}
