import Foundation

/// Finds the PP-OCR model files.
///
/// Layout (as made by `scripts/setup.sh`):
/// `ppocrv4/{ch_PP-OCRv4_det_infer, ch_PP-OCRv4_rec_infer, ch_ppocr_mobile_v2_cls_infer}`, `ppocrv4/ppocr_keys_v1.txt`,
/// `ppocrv5/{PP-OCRv5_mobile_det, PP-OCRv5_mobile_rec}` (dictionary in `PP-OCRv5_mobile_rec/config.json`).
public enum OCRModelLocator {
    /// The environment variable that overrides the models folder.
    public static let environmentVariable = "PADDLE_SWIFT_MODELS"

    /// The default models folder: `$PADDLE_SWIFT_MODELS`, else `$PADDLE_SWIFT_HOME/models` when it exists (the
    /// container image's layout), else `<repo>/.paddle/models` (the checkout this library was built from) when it
    /// exists, else `./.paddle/models`.
    public static func defaultModelsDirectory() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let env = environment[environmentVariable], !env.isEmpty { return env }
        if let home = environment["PADDLE_SWIFT_HOME"], !home.isEmpty,
            FileManager.default.fileExists(atPath: home + "/models")
        {
            return home + "/models"
        }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let candidate = repo.appendingPathComponent(".paddle/models").path
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        return FileManager.default.currentDirectoryPath + "/.paddle/models"
    }

    /// Resolved model and dictionary paths for `options`.
    public struct Paths: Sendable, Equatable {
        /// The text detection model (a folder or program file).
        public var detection: String
        /// The text-line direction classifier (a folder or program file).
        public var classification: String
        /// The text recognition model (a folder or program file).
        public var recognition: String
        /// The recognition model's character dictionary.
        public var dictionary: String
    }

    /// Resolves the paths and checks that they exist.
    /// - Throws: ``OCRError/Code/modelNotFound`` naming the missing path and how to install the models.
    public static func paths(for options: OCROptions.Models) throws(OCRError) -> Paths {
        let root = options.directory ?? defaultModelsDirectory()
        let v4 = root + "/ppocrv4", v5 = root + "/ppocrv5"
        let paths: Paths
        switch options.version {
        case .v4:
            paths = Paths(
                detection: options.detectionModel ?? v4 + "/ch_PP-OCRv4_det_infer",
                classification: options.classificationModel ?? v4 + "/ch_ppocr_mobile_v2_cls_infer",
                recognition: options.recognitionModel ?? v4 + "/ch_PP-OCRv4_rec_infer",
                dictionary: options.dictionary ?? v4 + "/ppocr_keys_v1.txt")
        case .v5:
            paths = Paths(
                detection: options.detectionModel ?? v5 + "/PP-OCRv5_mobile_det",
                classification: options.classificationModel ?? v4 + "/ch_ppocr_mobile_v2_cls_infer",
                recognition: options.recognitionModel ?? v5 + "/PP-OCRv5_mobile_rec",
                dictionary: options.dictionary ?? v5 + "/PP-OCRv5_mobile_rec/config.json")
        }
        for path in [paths.detection, paths.classification, paths.recognition, paths.dictionary]
        where !FileManager.default.fileExists(atPath: path) {
            throw OCRError(
                .modelNotFound,
                "model file \(path) not found (models folder \(root); run `bash scripts/setup.sh` or set \(environmentVariable))")
        }
        return paths
    }
}
