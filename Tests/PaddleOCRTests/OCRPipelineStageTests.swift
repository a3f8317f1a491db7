import Foundation
import Testing

@testable import PaddleOCR

/// Every intermediate stage of ``OCRPipeline`` against the reference's `stages` records.
@Suite(.serialized) struct OCRPipelineStageTests {
    struct Summary {
        var maxScoreDifference = 0.0
        var boxes = 0, boxesExact = 0, boxesWithin2px = 0, crops = 0, cls = 0, recText = 0, recScore = 0, kept = 0
    }

    @Test func stages_allImages_matchReference() async throws {
        try ReferenceData.require()
        let pipeline = try SharedPipeline.v4.get()
        var s = Summary()
        var totalBoxes = 0
        for name in ReferenceData.imageNames {
            let ref = try ReferenceData.reference(name)
            let st = ref.stages
            let image = try OCRImage(decoding: ReferenceData.imageData(name), applyEXIFOrientation: false)
            #expect([image.height, image.width] == st.loaded_hw, "\(name) loaded size")
            let (_, trace) = try await pipeline.run(image)
            let p = trace.prepared
            #expect([p.resizedHeight, p.resizedWidth] == st.after_global_resize_hw, "\(name) global resize")
            #expect(abs(p.ratioH - st.global_resize_ratio_hw[0]) < 1e-9 && abs(p.ratioW - st.global_resize_ratio_hw[1]) < 1e-9)
            #expect(p.padTop == st.letterbox_top_bottom_px, "\(name) letterbox")
            #expect(trace.detectorInputShape == st.det_input_shape_nchw, "\(name) det input shape")
            #expect(trace.lines.count == st.boxes.count, "\(name) box count \(trace.lines.count) vs \(st.boxes.count)")
            totalBoxes += st.boxes.count
            for (i, rb) in st.boxes.enumerated() where i < trace.lines.count {
                let ours = trace.lines[i]
                let det = ours.detectorBox.map { [Double($0.x), Double($0.y)] }
                let maxDiff = zip(det, rb.box_det_coords).map { max(abs($0[0] - $1[0]), abs($0[1] - $1[1])) }.max() ?? 99
                s.boxes += 1
                if maxDiff == 0 { s.boxesExact += 1 } else { print("[\(name)] box \(i) off by \(maxDiff): \(det) vs \(rb.box_det_coords) crop \(ours.cropHeight)x\(ours.cropWidth) vs \(rb.crop_hw_after_rot90_rule)") }
                if maxDiff <= 2 { s.boxesWithin2px += 1 } else { print("[\(name)] box \(i) differs by \(maxDiff): \(det) vs \(rb.box_det_coords)") }
                if [ours.cropHeight, ours.cropWidth] == rb.crop_hw_after_rot90_rule { s.crops += 1 }
                if ours.cls?.text == rb.cls.label { s.cls += 1 } else { print("[\(name)] box \(i) cls \(String(describing: ours.cls)) vs \(rb.cls.label) \(rb.cls.score)") }
                if ours.text == rb.rec_text { s.recText += 1 } else { print("[\(name)] box \(i) rec \"\(ours.text)\" \(ours.score) vs \"\(rb.rec_text)\" \(rb.rec_score)") }
                s.maxScoreDifference = max(s.maxScoreDifference, abs(ours.score - rb.rec_score))
                if abs(ours.score - rb.rec_score) <= 0.05 { s.recScore += 1 }
                if ours.kept == rb.kept { s.kept += 1 }
            }
        }
        print("stages: \(s) of \(totalBoxes) reference boxes")
        #expect(s.boxes == totalBoxes)
        #expect(s.boxesWithin2px == s.boxes)
        #expect(s.crops >= s.boxes - 2)
        #expect(s.cls >= s.boxes - 2)
        #expect(Double(s.recText) >= 0.97 * Double(s.boxes))
        #expect(Double(s.recScore) >= 0.97 * Double(s.boxes))
    }
}
