import Foundation
import Testing

@testable import PaddleOCR

/// End-to-end accuracy against RapidOCR-paddle 1.4.5 on the 12 shared images.
@Suite(.serialized) struct OCRAccuracyTests {
    @Test func allImages_matchReference_95percentLinesIoU08() async throws {
        try ReferenceData.require()
        let pipeline = try SharedPipeline.v4.get()
        var total = 0, found = 0, identical = 0, ious: [Double] = []
        for name in ReferenceData.imageNames {
            let ref = try ReferenceData.reference(name)
            let image = try OCRImage(decoding: ReferenceData.imageData(name), applyEXIFOrientation: false)
            let result = try await pipeline.recognize(image: image)
            var used = Set<Int>()
            var imageFound = 0
            for line in ref.results {
                total += 1
                var best = (index: -1, iou: 0.0)
                for (k, ours) in result.results.enumerated() where !used.contains(k) {
                    let v = ReferenceData.iou(line.box, ours.box.map { [$0.x, $0.y] })
                    if v > best.iou { best = (k, v) }
                }
                guard best.index >= 0, best.iou >= 0.8 else {
                    print("[\(name)] missing: \(line.text) (best IoU \(best.iou))")
                    continue
                }
                used.insert(best.index)
                ious.append(best.iou)
                let ours = result.results[best.index]
                if ours.text == line.text {
                    found += 1
                    imageFound += 1
                    identical += 1
                } else {
                    print("[\(name)] text differs: ours \"\(ours.text)\" (\(ours.score)) vs ref \"\(line.text)\" (\(line.score))")
                }
            }
            print("[\(name)] \(imageFound)/\(ref.results.count) lines, ours \(result.results.count), timings \(result.timings)")
        }
        let meanIoU = ious.isEmpty ? 0 : ious.reduce(0, +) / Double(ious.count)
        print("accuracy: \(found)/\(total) reference lines found with identical text and IoU >= 0.8; mean IoU \(meanIoU)")
        #expect(Double(found) >= 0.95 * Double(total))
    }
}
