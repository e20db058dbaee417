/// Entry points for the libFuzzer targets in `Fuzz/`: each runs one internal stage on arbitrary
/// bytes and traps (precondition) when an invariant breaks, so the fuzzer reports it as a crash.
public enum FuzzHooks {
    static let words = ["ignore", "instructions", "previous", "system", "prompt", "password", "jailbreak", "admin", "reveal", "all", "access"]
    static let vocabulary = WordSet(words)
    static let stutterWords = StutterWords(words)
    static let typoWords = TypoWords(words)
    static let skeletonWords = SkeletonWords(words)

    /// The normaliser and the decoders: every view byte maps to a scalar offset inside the text,
    /// every encoded run lies inside it, and every decoded layer maps back inside it.
    public static func normalizeAndDecode(_ data: [UInt8]) {
        guard var text = String(validating: data, as: UTF8.self) else { return }
        let scalars = text.unicodeScalars.count
        var view = NormalizedView()
        text.withUTF8 { buf in
            Normalizer.build(buf, into: &view, vocabulary: vocabulary)
            precondition(view.map.count == view.bytes.count, "view and map lengths differ")
            for m in view.map { precondition(m >= 0 && Int(m) <= scalars, "view offset outside the text") }
            if view.tagStart >= 0 { precondition(view.tagStart <= view.tagEnd && view.tagEnd <= scalars, "tag span outside the text") }
            for run in Decoders.encodedRuns(buf) + Decoders.encodedRuns(buf, joiningLines: true) {
                precondition(run.range.lowerBound >= 0 && run.range.upperBound <= buf.count, "encoded run outside the text")
                let slice = Array(buf[run.range])[...]
                if let bytes = run.hex ? Decoders.decodeHex(slice) : Decoders.decodeBase64(slice) {
                    _ = Decoders.readableText(bytes)
                }
                if !run.hex && Decoders.isBase32(UnsafeBufferPointer(rebasing: buf[run.range])), let bytes = Decoders.decodeBase32(slice) {
                    precondition(bytes.count <= slice.count * 5 / 8 + 1, "base32 decodes to five bits a character")
                    _ = Decoders.readableText(bytes)
                }
            }
            for layer in [Decoders.decodeEscapes(buf), Decoders.jsonDocument(buf), Decoders.hyphenatedWords(buf, vocabulary: vocabulary),
                          Decoders.hyphenatedWords(buf, vocabulary: vocabulary, marks: true),
                          Decoders.destutteredWords(buf, words: stutterWords), Decoders.spacelessWords(buf),
                          Decoders.segmentedWords(buf, words: vocabulary), Decoders.verticalText(buf),
                          Decoders.correctedWords(buf, words: typoWords),
                          Decoders.vowelledWords(buf, words: skeletonWords),
                          Decoders.pigLatinWords(buf, words: vocabulary)].compactMap({ $0 }) {
                let n = layer.text.unicodeScalars.count
                if case .table(let starts, _) = layer.mapping { precondition(starts.count == n, "one mapping entry per decoded scalar") }
                for k in stride(from: 0, to: max(n, 1), by: max(1, n / 16)) {
                    let (a, b) = layer.parentRange(k, min(n, k + 1))
                    precondition(0 <= a && a <= b && b <= scalars, "decoded offset maps outside the text")
                }
            }
            for run in Decoders.base85Layers(buf, limit: 8) {
                precondition(run.range.lowerBound >= 0 && run.range.upperBound <= buf.count, "base85 run outside the text")
                precondition(run.text.utf8.count <= run.range.count * 4, "base85 decodes to at most four bytes a character (`z`)")
            }
            for block in Decoders.uuencodedLayers(buf, limit: 8) {
                precondition(block.range.lowerBound >= 0 && block.range.upperBound <= buf.count, "uuencoded block outside the text")
                precondition(block.text.utf8.count <= block.range.count * 3 / 4, "uuencode decodes to three bytes in four characters")
            }
            for run in Decoders.unicodeEncodedRuns(buf, limit: 8) {
                precondition(run.range.lowerBound >= 0 && run.range.upperBound <= buf.count, "base2048 or ecoji run outside the text")
                precondition(String(validating: buf[run.range], as: UTF8.self) != nil, "a run starts and ends on character boundaries")
            }
            if let spelled = Decoders.natoSpelled(buf) {
                precondition(spelled.utf8.count <= 2 * buf.count + 1, "a spelled text is at most a space more per word")
            }
        }
        let shifted = Decoders.shifted(text, by: 3)
        precondition(Decoders.shifted(shifted, by: 23) == text, "a Caesar shift is undone by its complement")
        precondition(Decoders.shifted(Decoders.shifted(text, by: 26), by: 26) == text, "Atbash is its own inverse")
    }
}
