/// Compile-time rewrites of a rule's pattern that keep every match and cut PCRE2's work per start
/// position. PCRE2 tries a pattern's top-level alternatives one after another at each start
/// position; a rule written as fifteen `\b(?:…)` alternatives tests the word boundary fifteen
/// times at every byte inside a word before giving up there.
enum PatternRewrite {
    /// `\bA|\bB|C|\bD|\bE` → `\b(?:A|B)|C|\b(?:D|E)`: consecutive top-level alternatives that start
    /// with a word boundary share one test of it. The alternatives keep their order, so at every
    /// start position the same alternative wins and the match is the same; the added group does not
    /// capture, so group numbers are unchanged. A pattern with syntax the splitter does not follow
    /// is returned as written.
    static func factorWordBoundaries(_ pattern: String) -> String {
        guard let parts = topLevelAlternatives(pattern), parts.count > 1 else { return pattern }
        var out: [Substring] = []
        var run: [Substring] = []
        func flush() {
            if run.count > 1 {
                out.append("\\b(?:" + run.map { $0.dropFirst(2) }.joined(separator: "|") + ")")
            } else {
                out += run
            }
            run.removeAll()
        }
        for part in parts {
            if part.hasPrefix("\\b"), !"?*+{".contains(part.dropFirst(2).first ?? "x") { run.append(part) } else { flush(); out.append(part) }
        }
        flush()
        return out.count == parts.count ? pattern : out.joined(separator: "|")
    }

    /// The pattern split at its top-level `|`, or nil when it holds what this splitter does not
    /// follow: a leading `(*VERB)`, `\Q…\E` quoting, `(?#…)` comments, an option setting such as
    /// `(?i)` (it would reach into the next alternatives, and a group would stop it), or brackets
    /// that do not balance.
    static func topLevelAlternatives(_ pattern: String) -> [Substring]? {
        let bytes = Array(pattern.utf8)
        let n = bytes.count
        if n >= 2 && bytes[0] == UInt8(ascii: "(") && bytes[1] == UInt8(ascii: "*") { return nil }
        var cuts: [Int] = []
        var depth = 0
        var i = 0
        while i < n {
            switch bytes[i] {
            case UInt8(ascii: "\\"):
                if i + 1 < n && (bytes[i + 1] == UInt8(ascii: "Q") || bytes[i + 1] == UInt8(ascii: "E")) { return nil }
                i += 2
                continue
            case UInt8(ascii: "["):
                // A class: `]` first (after an optional `^`) is a literal; `[:name:]` inside it
                // is a POSIX class; escapes are skipped.
                i += 1
                if i < n && bytes[i] == UInt8(ascii: "^") { i += 1 }
                if i < n && bytes[i] == UInt8(ascii: "]") { i += 1 }
                var closed = false
                while i < n {
                    let b = bytes[i]
                    if b == UInt8(ascii: "\\") { i += 2; continue }
                    if b == UInt8(ascii: "[") && i + 1 < n && bytes[i + 1] == UInt8(ascii: ":") {
                        var k = i + 2
                        while k + 1 < n && !(bytes[k] == UInt8(ascii: ":") && bytes[k + 1] == UInt8(ascii: "]")) { k += 1 }
                        guard k + 1 < n else { return nil }
                        i = k + 2
                        continue
                    }
                    if b == UInt8(ascii: "]") { closed = true; i += 1; break }
                    i += 1
                }
                guard closed else { return nil }
                continue
            case UInt8(ascii: "("):
                if i + 2 < n && bytes[i + 1] == UInt8(ascii: "?") {
                    if bytes[i + 2] == UInt8(ascii: "#") { return nil }
                    // `(?i)`, `(?-s)`, `(?^)`: letters, `-` or `^`, then `)`.
                    var k = i + 2
                    while k < n && (bytes[k] == UInt8(ascii: "-") || bytes[k] == UInt8(ascii: "^")
                                    || (bytes[k] | 0x20 >= UInt8(ascii: "a") && bytes[k] | 0x20 <= UInt8(ascii: "z"))) { k += 1 }
                    if k > i + 2 && k < n && bytes[k] == UInt8(ascii: ")") { return nil }
                }
                depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                guard depth >= 0 else { return nil }
            case UInt8(ascii: "|") where depth == 0:
                cuts.append(i)
            default:
                break
            }
            i += 1
        }
        guard depth == 0, i == n else { return nil }
        var parts: [Substring] = []
        var from = pattern.utf8.startIndex
        for cut in cuts {
            let at = pattern.utf8.index(pattern.utf8.startIndex, offsetBy: cut)
            parts.append(pattern[from..<at])
            from = pattern.utf8.index(after: at)
        }
        parts.append(pattern[from...])
        return parts
    }
}
