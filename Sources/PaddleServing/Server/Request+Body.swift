import CompressNIO
import HTTPTypes
import Hummingbird
import KServeProtocol
import NIOCore
import PaddleModelRepository

/// The context of every serving route (Hummingbird's basic context; its `id` is the request id in logs).
public typealias ServingContext = BasicRequestContext

extension Request {
    /// Reads the whole body, at most `limit` bytes after decompressing a `gzip` or `deflate`
    /// `Content-Encoding`.
    ///
    /// - Throws: `ServingError` 413 beyond the limit, 400 for a corrupt or unknown encoding.
    package func collectBody(limit: Int) async throws(ServingError) -> ByteBuffer {
        if let length = headers.firstValue(.contentLength).flatMap(Int.init), length > limit {
            throw .tooLarge(limit: limit)
        }
        var buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw .tooLarge(limit: limit)
        } catch {
            throw .badRequest("cannot read the request body")
        }
        guard let encoding = headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces),
            !encoding.isEmpty, encoding != "identity"
        else { return buffer }
        let algorithms: [CompressionAlgorithm]
        switch encoding {
        case "gzip", "x-gzip": algorithms = [.gzip()]
        case "deflate": algorithms = [.zlib(), .deflate()]
        default: throw ServingError(.unsupportedMediaType, "unsupported Content-Encoding '\(encoding)'")
        }
        guard buffer.readableBytes > 0 else { throw .badRequest("the \(encoding) request body is empty") }
        for algorithm in algorithms {
            switch Self.inflate(buffer, with: algorithm, limit: limit) {
            case .success(let output): return output
            case .failure(let error) where error.status == .contentTooLarge: throw error
            case .failure: continue
            }
        }
        throw .badRequest("the request body is not valid \(encoding) data")
    }

    /// Inflates `input`, growing the output up to `limit` bytes.
    private static func inflate(
        _ input: ByteBuffer, with algorithm: CompressionAlgorithm, limit: Int
    ) -> Result<ByteBuffer, ServingError> {
        var input = input
        let decompressor = algorithm.decompressor
        do {
            try decompressor.startStream()
        } catch {
            return .failure(.internalError)
        }
        defer { try? decompressor.finishStream() }
        var chunks: [ByteBuffer] = []
        var total = 0
        let chunkSize = min(max(input.readableBytes * 4, 64 << 10), max(limit, 1))
        while true {
            guard total < limit else { return .failure(.tooLarge(limit: limit)) }
            var chunk = ByteBufferAllocator().buffer(capacity: min(chunkSize, limit - total))
            var finished = false
            do {
                try decompressor.streamInflate(from: &input, to: &chunk)
                finished = true
            } catch let error as CompressNIOError where error == .bufferOverflow {
                finished = false
            } catch {
                return .failure(.badRequest("corrupt compressed body"))
            }
            total += chunk.readableBytes
            chunks.append(chunk)
            if finished { break }
        }
        var output = ByteBufferAllocator().buffer(capacity: total)
        for var chunk in chunks { output.writeBuffer(&chunk) }
        return .success(output)
    }
}

extension HTTPFields {
    /// The value of the first field named `name`. Unlike the subscript, repeated fields are not joined, so
    /// nothing is allocated: for single-valued headers read on every request.
    func firstValue(_ name: HTTPField.Name) -> String? {
        for field in self where field.name == name { return field.value }
        return nil
    }
}
