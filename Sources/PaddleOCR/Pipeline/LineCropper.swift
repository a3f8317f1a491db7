/// Cuts each detected box out of the prepared image (RapidOCR `get_rotate_crop_image`): perspective warp onto
/// `w x h` (longest opposite sides, truncated), then a 90° counter-clockwise turn when `h / w >= 1.5`.
enum LineCropper {
    static func crop(_ image: OCRImage, box: [PointF]) -> OCRImage? {
        let w = Int(max(BoxOrdering.distance(box[0], box[1]), BoxOrdering.distance(box[2], box[3])))
        let h = Int(max(BoxOrdering.distance(box[0], box[3]), BoxOrdering.distance(box[1], box[2])))
        guard w > 0, h > 0 else { return nil }
        let target = [PointF(0, 0), PointF(Float(w), 0), PointF(Float(w), Float(h)), PointF(0, Float(h))]
        guard let m = PerspectiveWarp.transform(from: box, to: target),
            let crop = PerspectiveWarp.warpCubic(image, matrix: m, width: w, height: h)
        else { return nil }
        if Double(crop.height) / Double(crop.width) >= 1.5 { return crop.rotated90CounterClockwise() }
        return crop
    }
}
