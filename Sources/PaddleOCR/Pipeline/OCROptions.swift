/// Every parameter of the PP-OCR pipeline. The defaults are RapidOCR-paddle 1.4.5's (`config.yaml`) with the
/// PP-OCRv4 models; ``ppocrV5`` gives the PP-OCRv5 mobile models with their own post-processing defaults.
///
/// ```swift
/// var options = OCROptions()
/// options.detection.boxThreshold = 0.6
/// let pipeline = try OCRPipeline(options: options)
/// ```
public struct OCROptions: Sendable, Equatable {
    /// Which PP-OCR generation of detection/recognition models to use.
    public enum ModelVersion: String, Sendable, CaseIterable, Equatable {
        /// `ch_PP-OCRv4_det_infer` + `ch_PP-OCRv4_rec_infer` + `ppocr_keys_v1.txt` (the reference's models).
        case v4
        /// `PP-OCRv5_mobile_det` + `PP-OCRv5_mobile_rec` (PIR `.json` programs; dictionary from `inference.yml`).
        case v5
    }

    /// Where the models are and how the engine runs them.
    public struct Models: Sendable, Equatable {
        /// Model generation (default ``ModelVersion/v4``).
        public var version: ModelVersion = .v4
        /// Folder holding `ppocrv4/` and `ppocrv5/`; `nil` = ``OCRModelLocator/defaultModelsDirectory()``.
        public var directory: String? = nil
        /// Explicit model paths (a folder or program file); `nil` = derived from ``version`` and ``directory``.
        public var detectionModel: String? = nil
        /// Explicit direction classifier path; `nil` = the mobile v2 classifier in ``directory``.
        public var classificationModel: String? = nil
        /// Explicit recognition model path; `nil` = derived from ``version`` and ``directory``.
        public var recognitionModel: String? = nil
        /// Explicit dictionary (`.txt` one character per line, or a PaddleX `inference.yml`/`config.json`).
        public var dictionary: String? = nil
        /// Math-library threads per predictor (default 1, like the reference).
        public var cpuThreads: Int = 1
        /// Math-library threads of the detection predictors; `nil` = ``cpuThreads``. Detection runs one image
        /// at a time, so with ``poolSize`` 2 x 1 thread it can still use 2 threads here.
        public var detectionThreads: Int? = nil
        /// Predictors per model (default 1): how many images can run a stage at the same time, and how many line
        /// batches of one image run direction classification and recognition at once.
        public var poolSize: Int = 1
        /// oneDNN on/off; `nil` = the engine default (on for `.pdmodel`, off for PIR `.json`, which requires it off).
        public var oneDNN: Bool? = nil
        /// oneDNN's cache capacity in input-shape sets (`PaddleInference` `Config.oneDNNCacheCapacity`). Default `nil`: the engine's
        /// bound of 10.
        ///
        /// Images and line batches come in many sizes, and oneDNN keeps kernels and buffers for every input size it
        /// has run. Without a bound (0) memory grows with every new size and never comes back: 80 images of
        /// different sizes took the `ocr` command to 3.6 GB peak RSS (2.1 GB with the bound, 1.2 GB for one size
        /// 80 times), and recognition batches of 40 widths grew a predictor by 250 MB more than the bound did. With
        /// the bound, runs cost about the same (kernels are cheap to rebuild: 0.52-0.54 s against 0.51-0.54 s per
        /// image on the 12 sample images, 1 predictor of 2 threads per model), but once the cache is full every new
        /// size evicts another, which Paddle 3.3.1 cannot do while other predictors run: the pipeline's runs then
        /// go one at a time, so with a bound prefer 1 predictor with 2 threads to 2 predictors with 1. A short-lived
        /// process that must overlap runs can choose 0.
        public var oneDNNCacheCapacity: Int? = nil
        /// The defaults: PP-OCRv4 models from the default folder, 1 predictor of 1 thread per model.
        public init() {}
    }

    /// The global pre-step (RapidOCR `Global` section).
    public struct Preprocessing: Sendable, Equatable {
        /// Longest side above this is scaled down to it (then both sides rounded to multiples of 32).
        public var maxSideLength: Int = 2000
        /// Shortest side below this is scaled up to it (then rounded to multiples of 32).
        public var minSideLength: Int = 30
        /// Images this tall or less get letterboxed (black bands above and below).
        public var minHeight: Int = 30
        /// Images wider than this ratio (w/h) get letterboxed.
        public var widthHeightRatio: Double = 8
        /// Apply the JPEG EXIF orientation when decoding bytes (the reference ignores it).
        public var applyEXIFOrientation: Bool = true
        /// RapidOCR-paddle 1.4.5's defaults.
        public init() {}
    }

    /// DB text detection.
    public struct Detection: Sendable, Equatable {
        /// How ``limitSideLength`` bounds the image before detection.
        public enum LimitType: String, Sendable, Equatable {
            /// Scale up so that the shortest side is at least ``Detection/limitSideLength``.
            case min
            /// Scale down so that the longest side is at most ``Detection/limitSideLength``.
            case max
        }
        /// The side length that ``limitType`` applies (then both sides rounded to multiples of 32).
        public var limitSideLength: Int = 736
        /// Whether ``limitSideLength`` is a lower bound on the shortest side or an upper bound on the longest.
        public var limitType: LimitType = .min
        /// Per-channel (B,G,R) normalisation: `(x/255 - mean) / std`.
        public var mean: [Float] = [0.5, 0.5, 0.5]
        /// Per-channel (B,G,R) standard deviations of the normalisation (see ``mean``).
        public var std: [Float] = [0.5, 0.5, 0.5]
        /// Probability above which a pixel is text.
        public var threshold: Float = 0.3
        /// Minimum mean probability inside a box.
        public var boxThreshold: Float = 0.5
        /// The most contours turned into boxes, in the order they are found (RapidOCR's `max_candidates`).
        public var maxCandidates: Int = 1000
        /// Box expansion: `distance = area * ratio / perimeter`.
        public var unclipRatio: Double = 1.6
        /// 2x2 dilation of the binary map.
        public var useDilation: Bool = true
        /// RapidOCR-paddle 1.4.5's defaults.
        public init() {}
    }

    /// Text-line direction classification (0° / 180°).
    public struct Classification: Sendable, Equatable {
        /// Whether lines are classified and flipped at all (RapidOCR's `use_cls`).
        public var enabled: Bool = true
        /// The height lines are resized to.
        public var imageHeight: Int = 48
        /// The width lines are resized to at most (then padded).
        public var imageWidth: Int = 192
        /// Lines per engine run.
        public var batchSize: Int = 6
        /// A line is flipped when classified "180" with a probability strictly above this.
        public var threshold: Float = 0.9
        /// RapidOCR-paddle 1.4.5's defaults.
        public init() {}
    }

    /// CTC text recognition.
    public struct Recognition: Sendable, Equatable {
        /// The height lines are resized to.
        public var imageHeight: Int = 48
        /// The narrowest padded width of a batch (a batch is as wide as its widest line needs).
        public var imageWidth: Int = 320
        /// Lines per engine run (sorted by aspect ratio first).
        public var batchSize: Int = 6
        /// Lines whose mean character probability is below this are dropped from the results.
        public var textScore: Float = 0.5
        /// RapidOCR-paddle 1.4.5's defaults.
        public init() {}
    }

    /// Where the models are and how the engine runs them.
    public var models = Models()
    /// The global resizing and letterboxing before detection.
    public var preprocessing = Preprocessing()
    /// DB text detection.
    public var detection = Detection()
    /// Text-line direction classification.
    public var classification = Classification()
    /// CTC text recognition.
    public var recognition = Recognition()

    /// RapidOCR-paddle 1.4.5 defaults with the PP-OCRv4 models.
    public init() {}

    /// PP-OCRv5 mobile models with PaddleOCR 3.x's detection settings for them (ImageNet mean/std, shortest side
    /// raised to at least 64 instead of 736, box threshold 0.6, unclip ratio 1.5); the direction classifier stays
    /// the mobile v2 one and the rest of the pipeline is RapidOCR's.
    public static var ppocrV5: OCROptions {
        var options = OCROptions()
        options.models.version = .v5
        options.detection.mean = [0.485, 0.456, 0.406]
        options.detection.std = [0.229, 0.224, 0.225]
        options.detection.limitSideLength = 64
        options.detection.boxThreshold = 0.6
        options.detection.unclipRatio = 1.5
        return options
    }

    /// Checks ranges; throws ``OCRError/Code/invalidOption`` naming the first bad field.
    public func validate() throws(OCRError) {
        func check(_ ok: Bool, _ what: String) throws(OCRError) {
            if !ok { throw OCRError(.invalidOption, what) }
        }
        try check(models.cpuThreads >= 1, "models.cpuThreads must be >= 1, got \(models.cpuThreads)")
        try check((models.detectionThreads ?? 1) >= 1, "models.detectionThreads must be >= 1")
        try check(models.poolSize >= 1, "models.poolSize must be >= 1, got \(models.poolSize)")
        try check(preprocessing.maxSideLength >= 32, "preprocessing.maxSideLength must be >= 32")
        try check(preprocessing.minSideLength >= 1, "preprocessing.minSideLength must be >= 1")
        try check(detection.limitSideLength >= 32, "detection.limitSideLength must be >= 32")
        try check(detection.mean.count == 3 && detection.std.count == 3, "detection.mean/std need 3 values")
        try check(!detection.std.contains(0), "detection.std must not contain 0")
        try check(detection.maxCandidates >= 1, "detection.maxCandidates must be >= 1")
        try check(detection.unclipRatio > 0, "detection.unclipRatio must be > 0")
        try check(classification.batchSize >= 1 && recognition.batchSize >= 1, "batch sizes must be >= 1")
        try check(classification.imageHeight >= 8 && classification.imageWidth >= 8, "classification image size too small")
        try check(recognition.imageHeight >= 8 && recognition.imageWidth >= 8, "recognition image size too small")
    }
}
