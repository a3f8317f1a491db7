
/// What `POST /v1/ocr` accepts: the route path and the image limits.
///
/// ```swift
/// var configuration = OCRRouteConfiguration()
/// configuration.maxImagePixels = 20_000_000
/// server.addOCRRoutes(pipeline: pipeline, configuration: configuration)
/// ```
public struct OCRRouteConfiguration: Sendable, Equatable {
    /// The route path.
    public var path: String = "/v1/ocr"
    /// The largest encoded image accepted, in bytes (413 beyond). A multipart or JSON body may be slightly larger
    /// (its framing, base64) but the image inside it must fit.
    public var maxImageBytes: Int = 20 << 20
    /// The largest decoded image accepted, in pixels (width x height; 413 beyond). Checked from the JPEG/PNG
    /// header before any pixel is decoded.
    public var maxImagePixels: Int = 40_000_000
    /// The longest `filter` regular expression accepted, in characters (400 beyond).
    public var maxFilterLength: Int = 512
    /// Apply the JPEG EXIF orientation before recognition (like `paddle-swift ocr`; RapidOCR ignores it).
    public var applyEXIFOrientation: Bool = true

    /// A configuration; every argument has the default described on its property.
    public init(
        path: String = "/v1/ocr", maxImageBytes: Int = 20 << 20, maxImagePixels: Int = 40_000_000,
        applyEXIFOrientation: Bool = true
    ) {
        self.path = path
        self.maxImageBytes = maxImageBytes
        self.maxImagePixels = maxImagePixels
        self.applyEXIFOrientation = applyEXIFOrientation
    }
}
