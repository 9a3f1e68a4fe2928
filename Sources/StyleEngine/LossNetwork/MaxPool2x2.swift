/// VGG's 2×2 max pool with stride 2 (an odd last row or column is dropped, as PyTorch's default
/// floor mode does), and its backward pass, which hands each window's gradient to the window's
/// largest input (the first one in row order on a tie, as PyTorch does).
enum MaxPool2x2 {
    static func forward(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                        into output: UnsafeMutablePointer<Float>, parallel: ParallelContext) {
        let (outH, outW) = (height / 2, width / 2)
        parallel.forEach(channels) { c, _ in
            let plane = input + c * height * width, result = output + c * outH * outW
            for y in 0..<outH {
                let top = plane + 2 * y * width, bottom = top + width
                for x in 0..<outW {
                    result[y * outW + x] = max(max(top[2 * x], top[2 * x + 1]), max(bottom[2 * x], bottom[2 * x + 1]))
                }
            }
        }
    }

    /// `gradient` is the pooled output's (channels × height/2 × width/2); `winnersFrom` the pool's
    /// input, which decides where each value goes. Writes the input's gradient (channels × height × width).
    static func backward(_ gradient: UnsafePointer<Float>, winnersFrom input: UnsafePointer<Float>,
                         channels: Int, height: Int, width: Int,
                         into result: UnsafeMutablePointer<Float>, parallel: ParallelContext) {
        let (outH, outW) = (height / 2, width / 2)
        parallel.forEach(channels) { c, _ in
            let plane = input + c * height * width, target = result + c * height * width
            let source = gradient + c * outH * outW
            target.update(repeating: 0, count: height * width)
            for y in 0..<outH {
                for x in 0..<outW {
                    let first = 2 * y * width + 2 * x
                    var best = first
                    if plane[first + 1] > plane[best] { best = first + 1 }
                    if plane[first + width] > plane[best] { best = first + width }
                    if plane[first + width + 1] > plane[best] { best = first + width + 1 }
                    target[best] = source[y * outW + x]
                }
            }
        }
    }
}
