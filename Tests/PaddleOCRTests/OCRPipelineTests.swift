import Foundation
import Testing

@testable import PaddleOCR

/// Pipeline behaviour beyond the reference comparison: EXIF, errors, concurrency, PP-OCRv5.
@Suite(.serialized) struct OCRPipelineTests {
    @Test func recognize_exifOn_findsUprightLineInUprightCoordinates() async throws {
        try ReferenceData.require()
        let pipeline = try SharedPipeline.v4.get()
        let name = "img_exif_orientation.jpg"
        let ref = try ReferenceData.reference(name)
        let data = try ReferenceData.imageData(name)
        let upright = try await pipeline.recognize(imageData: data)  // EXIF honoured by default
        let stored = try await pipeline.recognize(image: OCRImage(decoding: data, applyEXIFOrientation: false))
        #expect(stored.results.map(\.text) == ref.results.map(\.text))
        #expect(upright.results.map(\.text) == ref.results.map(\.text))
        // The upright image is the stored one turned 180°: boxes map by (W - x, H - y).
        if let a = upright.results.first, let b = ref.results.first {
            let mapped = b.box.map { [Double(ref.width) - $0[0], Double(ref.height) - $0[1]] }
            #expect(ReferenceData.iou(mapped, a.box.map { [$0.x, $0.y] }) > 0.8)
        }
    }

    @Test func recognize_bytesWithLimits_decodesOnThePipelineAndReportsSize() async throws {
        try ReferenceData.require()
        let pipeline = try SharedPipeline.v4.get()
        let name = "img_exif_orientation.jpg"
        let data = try ReferenceData.imageData(name)
        let decoded = try OCRImage(decoding: data, applyEXIFOrientation: false)
        let expected = try await pipeline.recognize(image: decoded)
        let result = try await pipeline.recognize(imageData: data, applyEXIFOrientation: false, maxPixels: decoded.width * decoded.height)
        #expect(result.results == expected.results)
        #expect(result.imageWidth == decoded.width && result.imageHeight == decoded.height)
        #expect(result.timings.decoding > 0 && expected.timings.decoding == 0)
        await #expect {
            try await pipeline.recognize(imageData: data, applyEXIFOrientation: false, maxPixels: decoded.width * decoded.height - 1)
        } throws: { ($0 as? OCRError)?.code == .imageTooLarge }
    }

    @Test func recognize_garbageBytes_throwsInvalidImage() async throws {
        let pipeline = try SharedPipeline.v4.get()
        await #expect { try await pipeline.recognize(imageData: Data([0xFF, 0xD8, 0xFF, 1, 2, 3])) } throws: {
            ($0 as? OCRError)?.code == .invalidImage
        }
    }

    @Test func recognize_blankImage_returnsNoLines() async throws {
        let pipeline = try SharedPipeline.v4.get()
        let white = try OCRImage(width: 64, height: 48, bgr: [UInt8](repeating: 255, count: 64 * 48 * 3))
        let result = try await pipeline.recognize(image: white)
        #expect(result.results.isEmpty)
    }

    @Test func recognize_concurrentCalls_giveSameResults() async throws {
        try ReferenceData.require()
        let pipeline = try SharedPipeline.v4.get()
        let image = try OCRImage(decoding: ReferenceData.imageData("ch_en_num.jpg"))
        let single = try await pipeline.recognize(image: image)
        let results = try await withThrowingTaskGroup(of: OCRResult.self) { group in
            for _ in 0..<3 { group.addTask { try await pipeline.recognize(image: image) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for r in results { #expect(r.results == single.results) }
    }

    @Test func ppocrV5_recognizesEnglishSample() async throws {
        try ReferenceData.require()
        let options = OCROptions.ppocrV5
        _ = try OCRModelLocator.paths(for: options.models)  // scripts/setup.sh installs them
        let pipeline = try OCRPipeline(options: options)
        let result = try await pipeline.recognize(imageData: ReferenceData.imageData("en.jpg"))
        print("v5 en.jpg: \(result.results.map(\.text))")
        #expect(result.results.count >= 4)
        #expect(result.results.contains { $0.text.contains("MovieShots") })
        await pipeline.shutdown()
    }
}
