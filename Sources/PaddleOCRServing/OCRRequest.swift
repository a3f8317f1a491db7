import Foundation
import Hummingbird
import KServeProtocol
import NIOCore
import PaddleModelRepository
import PaddleOCR
import PaddleServing

/// What a `POST /v1/ocr` request carries: the encoded image and an optional text filter.
///
/// Three body forms:
/// - the image bytes themselves (any or no `Content-Type`);
/// - `multipart/form-data` with the image in a file field (`image` or `file`, else the first part with a
///   filename or an `image/*` type) and optionally a `filter` text field;
/// - `application/json`: `{"image": "<base64 or data: URL>", "filter": "..."}`.
/// A `?filter=` query parameter applies to every form (a body field wins over it).
struct OCRRequest {
    var image: Data
    var filter: String?
    /// The file name of the multipart image part, when it has one.
    var filename: String? = nil

    static func read(_ request: Request, configuration: OCRRouteConfiguration) async throws(ServingError) -> OCRRequest {
        let queryFilter = request.uri.queryParameters.get("filter")
        let contentType = request.headers[.contentType] ?? ""
        let limit = configuration.maxImageBytes
        if let boundary = try MultipartFormData.boundary(contentType: contentType) {
            let body = try await request.collectBody(limit: limit + 64 << 10)
            let form = try MultipartFormData(bytes: Array(buffer: body), boundary: boundary)
            let file =
                form.part(named: "image") ?? form.part(named: "file")
                ?? form.parts.first { $0.filename != nil || ($0.contentType?.hasPrefix("image/") ?? false) }
            guard let file else {
                throw .badRequest("multipart/form-data has no image: send it in a file field named 'image'")
            }
            guard file.range.count <= limit else { throw .tooLarge(limit: limit) }
            let filter = form.part(named: "filter").map(form.text) ?? queryFilter
            return OCRRequest(image: form.data(file), filter: filter, filename: file.filename)
        }
        if HeaderValue.parse(contentType).value == "application/json" {
            let body = try await request.collectBody(limit: limit / 3 * 4 + 64 << 10)
            return try decodeJSON(body, limit: limit, queryFilter: queryFilter)
        }
        let body = try await request.collectBody(limit: limit)
        return OCRRequest(image: Data(buffer: body), filter: queryFilter)
    }

    /// Checks the image against the route's limits (400 when empty, 413 beyond the pixel limit, from the header) and
    /// decodes it on a Dispatch thread, not on Swift's cooperative threads.
    /// - Returns: the pixels and the seconds decoding took.
    func decodedImage(configuration: OCRRouteConfiguration) async throws(ServingError) -> (OCRImage, seconds: Double) {
        guard !image.isEmpty else {
            throw .badRequest("the request has no image: send JPEG or PNG bytes as the body, or multipart/form-data")
        }
        if let size = image.withUnsafeBytes({ ImageDimensions($0) }), size.pixels > configuration.maxImagePixels {
            throw ServingError(
                .contentTooLarge,
                "the image is \(size.width)x\(size.height) = \(size.pixels) pixels, more than the limit of \(configuration.maxImagePixels)")
        }
        let (data, exif, limit) = (image, configuration.applyEXIFOrientation, configuration.maxImagePixels)
        let start = ContinuousClock.now
        do {
            // The decoder checks the limit too: the header check above gives up on bytes libjpeg still decodes.
            let decoded = try await BlockingWork.offload {
                try OCRImage(decoding: data, applyEXIFOrientation: exif, maxPixels: limit)
            }
            let d = ContinuousClock.now - start
            return (decoded, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        } catch let error as OCRError {
            throw ServingError(error)
        } catch {
            throw .badRequest("the image cannot be decoded: \(error)")
        }
    }

    private static func decodeJSON(_ body: ByteBuffer, limit: Int, queryFilter: String?) throws(ServingError) -> OCRRequest {
        let value: JSONValue
        do {
            value = try body.withUnsafeReadableBytes { try JSONParser.parse($0) }
        } catch {
            throw .badRequest("malformed JSON request: \(error)")
        }
        guard let object = value.objectValue else { throw .badRequest("the JSON request must be an object") }
        guard var text = object["image"]?.stringValue else {
            throw .badRequest("the JSON request needs an 'image' string (base64-encoded JPEG or PNG)")
        }
        if text.hasPrefix("data:"), let comma = text.firstIndex(of: ",") { text = String(text[text.index(after: comma)...]) }
        guard let image = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
            throw .badRequest("'image' is not valid base64")
        }
        guard image.count <= limit else { throw .tooLarge(limit: limit) }
        var filter = queryFilter
        if let field = object["filter"] {
            guard let string = field.stringValue else { throw .badRequest("'filter' must be a string") }
            filter = string
        }
        return OCRRequest(image: image, filter: filter)
    }
}

/// The optional per-request post-filter: keeps the lines whose text contains a match of a regular expression
/// (search semantics, like Python's `re.search`; anchor it, `^[0-9]{12}$`, for whole-line matches).
struct TextFilter {
    let pattern: String
    private let regex: Regex<AnyRegexOutput>

    /// - Throws: 400 for an invalid or over-long expression, naming it.
    init(pattern: String, maxLength: Int) throws(ServingError) {
        guard pattern.count <= maxLength else {
            throw .badRequest("filter is longer than \(maxLength) characters")
        }
        do {
            regex = try Regex(pattern)
        } catch {
            throw .badRequest("filter '\(pattern)' is not a valid regular expression: \(error)")
        }
        self.pattern = pattern
    }

    func matches(_ text: String) -> Bool { text.contains(regex) }
}
