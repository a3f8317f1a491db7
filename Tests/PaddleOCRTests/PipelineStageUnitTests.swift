import Foundation
import Testing

@testable import PaddleOCR

/// Pre-processing sizes and rounding rules (RapidOCR `preprocess`, `maybe_add_letterbox`, `DetPreProcess`).
@Suite struct ImagePreparationTests {
    func blank(_ w: Int, _ h: Int) throws -> OCRImage {
        try OCRImage(width: w, height: h, bgr: [UInt8](repeating: 128, count: w * h * 3))
    }

    @Test func roundToMultipleOf32_halfToEven() {
        #expect(roundToMultipleOf32(48) == 64)  // 1.5 -> 2
        #expect(roundToMultipleOf32(80) == 64)  // 2.5 -> 2
        #expect(roundToMultipleOf32(112) == 128)  // 3.5 -> 4
        #expect(roundToMultipleOf32(15) == 0)
    }

    @Test func detectionTargetSize_readmeExamples() {
        let o = OCROptions.Detection()
        #expect(DetectionInput.targetSize(width: 500, height: 500, options: o)! == (736, 736))
        #expect(DetectionInput.targetSize(width: 896, height: 528, options: o)! == (1248, 736))
        #expect(DetectionInput.targetSize(width: 709, height: 132, options: o)! == (3968, 736))
        #expect(DetectionInput.targetSize(width: 720, height: 1150, options: o)! == (736, 1184))
    }

    @Test func prepare_flatImage_letterboxes() throws {
        let p = try PreparedImage(blank(1167, 54), options: .init())
        #expect(p.padTop == 118)
        #expect(p.image.height == 54 + 236 && p.image.width == 1167)
        // Padding is black, content kept.
        #expect(p.image[0, 0] == (0, 0, 0) && p.image[0, 118] == (128, 128, 128))
    }

    @Test func prepare_largeImage_capsLongestSideAndRounds() throws {
        let p = try PreparedImage(blank(3000, 1000), options: .init())
        // ratio 2000/3000: 666 -> 672 (20.8 -> 21), 2000 -> 2016 (62.5 -> 62 half-even = 1984)
        #expect(p.resizedWidth == 1984 && p.resizedHeight == 672)
        #expect(abs(p.ratioW - 3000.0 / 1984) < 1e-12 && abs(p.ratioH - 1000.0 / 672) < 1e-12)
    }

    @Test func prepare_tinyImage_raisesShortestSide() throws {
        let p = try PreparedImage(blank(100, 20), options: .init())
        // ratio 30/20: 150 -> 160, 30 -> 32; then 32 > 30 and 160/32 = 5 <= 8: no letterbox.
        #expect(p.resizedWidth == 160 && p.resizedHeight == 32 && p.padTop == 0)
    }

    @Test func originalPoints_undoLetterboxAndScale() throws {
        let p = try PreparedImage(blank(1167, 54), options: .init())
        let back = p.originalPoints([PointF(10, 120), PointF(2000, 500)], originalWidth: 1167, originalHeight: 54)
        #expect(back == [PointF(10, 2), PointF(1167, 54)])
    }
}

/// Resize, warp and the geometry helpers behind DB post-processing.
@Suite struct GeometryTests {
    @Test func linearResize_constantImage_staysConstant() throws {
        let img = try OCRImage(width: 7, height: 5, bgr: [UInt8](repeating: 77, count: 105))
        for (w, h) in [(3, 2), (14, 10), (20, 3), (7, 5)] {
            #expect(LinearResize.resize(img, width: w, height: h).pixels.allSatisfy { $0 == 77 })
        }
    }

    @Test func linearResize_halving_averages2x2() throws {
        let img = try OCRImage(width: 2, height: 2, bgr: [0, 0, 0, 10, 10, 10, 20, 20, 20, 31, 31, 31])
        #expect(LinearResize.resize(img, width: 1, height: 1).pixels == [15, 15, 15])
    }

    @Test func perspectiveWarp_axisAlignedBox_copiesPixels() throws {
        let px = (0..<(10 * 8 * 3)).map { UInt8($0 % 251) }
        let img = try OCRImage(width: 10, height: 8, bgr: px)
        let box = [PointF(2, 1), PointF(6, 1), PointF(6, 4), PointF(2, 4)]
        let crop = LineCropper.crop(img, box: box)!
        #expect(crop.width == 4 && crop.height == 3)
        #expect(crop[0, 0] == img[2, 1] && crop[3, 2] == img[5, 3])
    }

    @Test func lineCropper_tallBox_rotatesCounterClockwise() throws {
        let img = try OCRImage(width: 10, height: 20, bgr: (0..<600).map { UInt8($0 % 256) })
        let crop = LineCropper.crop(img, box: [PointF(0, 0), PointF(4, 0), PointF(4, 12), PointF(0, 12)])!
        #expect(crop.width == 12 && crop.height == 4)
    }

    @Test func contours_squareWithHole_outerAndHoleInReverseDiscoveryOrder() {
        // 6x6 ring: foreground border, background 2x2 hole.
        var mask = [UInt8](repeating: 0, count: 8 * 8)
        for y in 1...6 { for x in 1...6 { mask[y * 8 + x] = 1 } }
        for y in 3...4 { for x in 3...4 { mask[y * 8 + x] = 0 } }
        let contours = mask.withUnsafeBufferPointer { ContourFinder.findContours(mask: $0, width: 8, height: 8) }
        #expect(contours.count == 2)
        #expect(Set(contours[1]) == [PointI(1, 1), PointI(1, 6), PointI(6, 6), PointI(6, 1)])
        #expect(contours[0].contains(PointI(2, 3)))  // hole border runs on the foreground around the hole
    }

    @Test func minAreaRect_rotatedSquare() {
        let rect = RotatedRect(enclosing: [PointI(5, 0), PointI(10, 5), PointI(5, 10), PointI(0, 5)])
        #expect(abs(rect.width * rect.height - 50) < 1e-3)
        let (box, side) = DBPostProcessor.miniBox([PointI(0, 0), PointI(9, 0), PointI(9, 4), PointI(0, 4)])
        let expected = [PointF(0, 0), PointF(9, 0), PointF(9, 4), PointF(0, 4)]
        #expect(zip(box, expected).allSatisfy { abs($0.x - $1.x) < 1e-4 && abs($0.y - $1.y) < 1e-4 } && abs(side - 4) < 1e-4)
    }

    @Test func unclip_rectangle_growsByAreaTimesRatioOverPerimeter() {
        let box = [PointF(10, 10), PointF(110, 10), PointF(110, 30), PointF(10, 30)]
        let grown = DBPostProcessor().unclip(box)  // distance = 2000 * 1.6 / 240 = 13.33
        let xs = grown.map(\.x), ys = grown.map(\.y)
        #expect(xs.min() == -3 && xs.max() == 123 && ys.min() == -3 && ys.max() == 43)
    }

    @Test func dbPostProcess_syntheticMap_findsOneBox() {
        let w = 64, h = 32
        var pred = [Float](repeating: 0.01, count: w * h)
        for y in 10..<20 { for x in 8..<50 { pred[y * w + x] = 0.9 } }
        let boxes = DBPostProcessor().process(pred: pred, width: w, height: h, destWidth: w, destHeight: h)
        #expect(boxes.count == 1)
        if let b = boxes.first {
            #expect(b.score > 0.8)
            #expect(b.points[0].x < 8 && b.points[0].y < 10 && b.points[2].x > 50 && b.points[2].y > 20)
        }
    }

    @Test func boxOrdering_sameLine_leftToRight() {
        let a = [PointF(100, 12), PointF(150, 12), PointF(150, 30), PointF(100, 30)]
        let b = [PointF(10, 15), PointF(60, 15), PointF(60, 30), PointF(10, 30)]
        let c = [PointF(10, 50), PointF(60, 50), PointF(60, 70), PointF(10, 70)]
        #expect(BoxOrdering.sorted([c, a, b]) == [b, a, c])
        #expect(BoxOrdering.orderClockwise([PointF(5, 9), PointF(1, 1), PointF(5, 1), PointF(1, 9)])
            == [PointF(1, 1), PointF(5, 1), PointF(5, 9), PointF(1, 9)])
    }

    @Test func boxOrdering_filter_dropsSmallBoxesAndClips() {
        let tiny = [PointI(0, 0), PointI(3, 0), PointI(3, 10), PointI(0, 10)]
        let big = [PointI(-5, 2), PointI(40, 2), PointI(40, 20), PointI(-5, 20)]
        let out = BoxOrdering.filter([tiny, big], imageWidth: 30, imageHeight: 30)
        #expect(out == [[PointF(0, 2), PointF(29, 2), PointF(29, 20), PointF(0, 20)]])
    }
}

/// CTC decoding, the dictionary and the JSON form of results.
@Suite struct RecognitionOutputTests {
    @Test func ctcDecode_mergesRepeatsDropsBlanks_meanOfKept() {
        let dict = CharacterDictionary(entries: ["a", "b"])  // 0 blank, 1 a, 2 b, 3 space
        #expect(dict.count == 4)
        // steps: a a blank a b space
        let steps: [[Float]] = [[0, 0.9, 0.1, 0], [0, 0.8, 0.2, 0], [0.7, 0.1, 0.1, 0.1], [0, 0.6, 0.4, 0], [0, 0, 1, 0], [0, 0, 0.5, 0.5]]
        let flat = steps.flatMap { $0 }
        let (text, score) = flat.withUnsafeBufferPointer { CTCDecoder(dictionary: dict).decode($0, steps: 6, classes: 4) }
        #expect(text == "aab")  // last step: tie 0.5/0.5 keeps the first (b, a repeat)
        #expect(abs(score - (Double(Float(0.9)) + Double(Float(0.6)) + 1) / 3) < 1e-9)
        let empty: [Float] = [1, 0, 0, 0]
        let (t2, s2) = empty.withUnsafeBufferPointer { CTCDecoder(dictionary: dict).decode($0, steps: 1, classes: 4) }
        #expect(t2 == "" && s2 == 0)
    }

    @Test func dictionary_v4Keys_has6625Classes() throws {
        let path = OCRModelLocator.defaultModelsDirectory() + "/ppocrv4/ppocr_keys_v1.txt"
        try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: run scripts/setup.sh")
        let dict = try CharacterDictionary(contentsOfFile: path)
        #expect(dict.count == 6625 && dict.characters.last == " " && dict.characters[0] == "")
    }

    @Test func dictionary_v5ConfigAndYAML_agree() throws {
        let dir = OCRModelLocator.defaultModelsDirectory() + "/ppocrv5/PP-OCRv5_mobile_rec/"
        try #require(FileManager.default.fileExists(atPath: dir + "config.json"), "\(dir) is missing: run scripts/setup.sh")
        let json = try CharacterDictionary(contentsOfFile: dir + "config.json")
        let yml = try CharacterDictionary(contentsOfFile: dir + "inference.yml")
        #expect(json.count == 18385)
        #expect(yml.count == json.count)
        let firstDifference = zip(json.characters, yml.characters).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(firstDifference == nil, "first difference at \(firstDifference.map { "\($0.offset): \($0.element)" } ?? "")")
    }

    @Test func result_encodesToExactJSONShape() throws {
        let result = OCRResult(
            results: [OCRLine(box: [.init(x: 1, y: 2), .init(x: 3, y: 2), .init(x: 3, y: 4), .init(x: 1, y: 4)], text: "hi", score: 0.5)],
            timings: OCRTimings(detection: 1, classification: 2, recognition: 3))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(result), as: UTF8.self)
        #expect(json == #"{"results":[{"box":[[1,2],[3,2],[3,4],[1,4]],"score":0.5,"text":"hi"}]}"#)
        let decoded = try JSONDecoder().decode(OCRResult.self, from: Data(json.utf8))
        #expect(decoded.results == result.results)
    }

    @Test func options_validate_rejectsBadValues() {
        var o = OCROptions()
        o.models.poolSize = 0
        #expect { try o.validate() } throws: { ($0 as? OCRError)?.code == .invalidOption }
        #expect(throws: Never.self) { try OCROptions.ppocrV5.validate() }
    }

    @Test func modelLocator_missingFolder_throwsModelNotFound() {
        var m = OCROptions.Models()
        m.directory = "/nonexistent/models"
        #expect { try OCRModelLocator.paths(for: m) } throws: { ($0 as? OCRError)?.code == .modelNotFound }
    }
}
