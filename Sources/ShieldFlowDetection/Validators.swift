import Foundation

/// A named check a rule can ask for: a candidate match is reported only when it says yes. It takes
/// the matched value (or capture group 1) as it appears in the text. `text` is the definition;
/// `ascii`, where there is one, is the same check over the bytes of an all-ASCII value (most values
/// are), without building a string of grapheme clusters. A test holds the two to the same answers.
struct Validator: Sendable {
    let text: @Sendable (Substring) -> Bool
    let ascii: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)?

    init(_ text: @escaping @Sendable (Substring) -> Bool, ascii: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)? = nil) {
        self.text = text
        self.ascii = ascii
    }

    func callAsFunction(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        if let ascii, DetectionEngine.isASCII(value) { return ascii(value) }
        return text(String(decoding: value, as: UTF8.self)[...])
    }
}

/// Named validators a rule can ask for: a candidate match is reported only when its validator says
/// yes. They take the matched value (or capture group 1) as it appears in the text.
enum Validators {
    static let all: [String: Validator] = [
        "luhn": Validator(luhn, ascii: luhn(ascii:)),
        "ssn": Validator(ssn, ascii: ssn(ascii:)),
        "iban": Validator(iban),
        "jwt": Validator(jwt),
        "public_ipv4": Validator(publicIPv4),
        "public_ipv6": Validator(publicIPv6),
        "email": Validator(email, ascii: email(ascii:)),
        "phone": Validator(phone, ascii: phone(ascii:)),
        "national_phone": Validator(nationalPhone),
        "not_placeholder": Validator { !isPlaceholder($0) },
        "generic_secret": Validator(genericSecret),
        "password": Validator(password, ascii: password(ascii:)),
        "entropy": Validator { !isPlaceholder($0) && shannon($0) >= 3.0 },
    ]

    static func digits(_ s: Substring) -> [Int] { s.compactMap { $0.wholeNumberValue } }

    /// Payment card: 13–19 digits, a known IIN range, Luhn checksum, not all one digit.
    static func luhn(_ s: Substring) -> Bool {
        let d = digits(s)
        guard (13...19).contains(d.count), Set(d).count > 2 else { return false }
        var sum = 0
        for (i, v) in d.reversed().enumerated() {
            if i % 2 == 1 { let x = v * 2; sum += x > 9 ? x - 9 : x } else { sum += v }
        }
        guard sum % 10 == 0 else { return false }
        return knownIssuer(d[0], d[1], d[2], d[3], count: d.count)
    }

    /// `luhn` over ASCII bytes: the digits are read in place (no array of them).
    static func luhn(ascii b: UnsafeBufferPointer<UInt8>) -> Bool {
        var count = 0, seen: UInt16 = 0, sum = 0
        var lead = (0, 0, 0, 0)
        for c in b.reversed() where c &- 0x30 < 10 {
            let v = Int(c &- 0x30)
            if count % 2 == 1 { let x = v * 2; sum += x > 9 ? x - 9 : x } else { sum += v }
            seen |= 1 << UInt16(v)
            count += 1
            lead = (v, lead.0, lead.1, lead.2)
        }
        guard (13...19).contains(count), seen.nonzeroBitCount > 2, sum % 10 == 0 else { return false }
        return knownIssuer(lead.0, lead.1, lead.2, lead.3, count: count)
    }

    /// Whether a card number of `count` digits starting with `d0 d1 d2 d3` is in a known IIN range.
    static func knownIssuer(_ d0: Int, _ d1: Int, _ d2: Int, _ d3: Int, count: Int) -> Bool {
        let p2 = d0 * 10 + d1, p4 = p2 * 100 + d2 * 10 + d3, p3 = p4 / 10
        switch d0 {
        case 4: return [13, 16, 19].contains(count)                                // Visa
        case 5: return (51...55).contains(p2) && count == 16                        // Mastercard
        case 2: return (2221...2720).contains(p4) && count == 16                    // Mastercard 2-series
        case 3: return ([34, 37].contains(p2) && count == 15)                       // Amex
            || ((300...305).contains(p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14...19).contains(count) // Diners
            || (3528...3589).contains(p4) && (16...19).contains(count)              // JCB
        case 6: return p4 == 6011 || p2 == 65 || (644...649).contains(p3) || p2 == 62 // Discover, UnionPay
        default: return false
        }
    }

    /// US SSN: area not 000, 666 or 900–999; group not 00; serial not 0000; not a known sample.
    static func ssn(_ s: Substring) -> Bool {
        let d = digits(s)
        guard d.count == 9 else { return false }
        let area = d[0] * 100 + d[1] * 10 + d[2]
        let group = d[3] * 10 + d[4]
        let serial = d[5] * 1000 + d[6] * 100 + d[7] * 10 + d[8]
        if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 { return false }
        if d == [1, 2, 3, 4, 5, 6, 7, 8, 9] || d == [0, 7, 8, 0, 5, 1, 1, 2, 0] { return false }
        return Set(d).count > 1
    }

    /// `ssn` over ASCII bytes: the nine digits as one number.
    static func ssn(ascii b: UnsafeBufferPointer<UInt8>) -> Bool {
        var number = 0, count = 0, seen: UInt16 = 0
        for c in b where c &- 0x30 < 10 {
            count += 1
            guard count <= 9 else { return false }
            number = number * 10 + Int(c &- 0x30)
            seen |= 1 << UInt16(c &- 0x30)
        }
        guard count == 9 else { return false }
        let area = number / 1_000_000, group = number / 10_000 % 100, serial = number % 10_000
        if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 { return false }
        if number == 123_456_789 || number == 78_051_120 { return false }
        return seen.nonzeroBitCount > 1
    }

    static let ibanLengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
        "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
        "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
        "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
        "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
        "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
        "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
        "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    ]

    /// IBAN: country code with its registered length, and the ISO 7064 mod-97 check. Group
    /// separators (spaces, tabs, no-break spaces, hyphens) are dropped first.
    static func iban(_ s: Substring) -> Bool {
        let chars = s.uppercased().filter { $0 != " " && $0 != "-" && $0 != "\t" && $0 != "\u{A0}" }
        guard chars.count >= 15, chars.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return false }
        let cc = String(chars.prefix(2))
        guard let len = ibanLengths[cc], len == chars.count else { return false }
        let rearranged = chars.dropFirst(4) + chars.prefix(4)
        var rem = 0
        for c in rearranged {
            if let v = c.wholeNumberValue {
                rem = (rem * 10 + v) % 97
            } else {
                let v = Int(c.asciiValue! - 55)
                rem = (rem * 100 + v) % 97
            }
        }
        return rem == 1
    }

    static func base64URLDecode(_ s: Substring) -> Data? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t)
    }

    /// JWT: header and payload both decode to JSON objects, the header names an algorithm.
    static func jwt(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let h = base64URLDecode(parts[0]), let p = base64URLDecode(parts[1]),
              let header = try? JSONSerialization.jsonObject(with: h) as? [String: Any],
              (try? JSONSerialization.jsonObject(with: p)) is [String: Any] else { return false }
        return header["alg"] != nil || header["typ"] != nil
    }

    /// A routable public IPv4 address (not private, loopback, link-local, CGNAT, multicast,
    /// reserved or documentation ranges).
    static func publicIPv4(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".")
        guard parts.count == 4 else { return false }
        var o: [Int] = []
        for p in parts {
            guard let v = Int(p), v <= 255, p.count <= 3, !(p.count > 1 && p.first == "0") else { return false }
            o.append(v)
        }
        switch (o[0], o[1], o[2]) {
        case (0, _, _), (10, _, _), (127, _, _), (224...255, _, _): return false
        case (100, 64...127, _), (169, 254, _), (172, 16...31, _), (192, 168, _): return false
        case (192, 0, 0), (192, 0, 2), (198, 18...19, _), (198, 51, 100), (203, 0, 113): return false
        default: return true
        }
    }

    /// A public IPv6 address: parses, and is not loopback, link-local, unique-local, multicast or
    /// documentation (2001:db8::/32).
    static func publicIPv6(_ s: Substring) -> Bool {
        var addr = in6_addr()
        guard inet_pton(AF_INET6, String(s), &addr) == 1 else { return false }
        let b = withUnsafeBytes(of: addr) { Array($0) }
        if b.allSatisfy({ $0 == 0 }) || (b[0..<15].allSatisfy { $0 == 0 } && b[15] == 1) { return false }
        if b[0] == 0xFF || (b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) { return false }
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return false }
        // Needs at least three groups written out, so "a:b" times and MAC-like strings do not count.
        return s.filter { $0 == ":" }.count >= 2
    }

    static let exampleDomains: Set<String> = ["example.com", "example.org", "example.net", "test.com", "domain.com", "email.com",
                                               "domain.tld", "example.tld", "yourdomain.com", "mydomain.com", "your-domain.com"]

    static func email(_ s: Substring) -> Bool {
        guard let at = s.lastIndex(of: "@") else { return false }
        let domain = s[s.index(after: at)...].lowercased()
        guard let dot = domain.lastIndex(of: ".") else { return false }
        let tld = domain[domain.index(after: dot)...]
        return tld.count >= 2 && tld.allSatisfy(\.isLetter) && !exampleDomains.contains(domain)
    }

    /// `email` over ASCII bytes.
    static func email(ascii b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let at = b.lastIndex(of: 0x40) else { return false }
        let domain = UnsafeBufferPointer(rebasing: b[(at + 1)...])
        guard let dot = domain.lastIndex(of: 0x2E) else { return false }
        let tld = domain[(dot + 1)...]
        guard tld.count >= 2, tld.allSatisfy({ ($0 | 0x20) &- 0x61 < 26 }) else { return false }
        // Only a short domain can be one of the example domains: compared byte by byte, lower-cased,
        // with no string made (a text can hold thousands of addresses).
        guard domain.count <= longestExampleDomain else { return true }
        return !exampleDomainBytes.contains { example in
            example.count == domain.count && zip(example, domain).allSatisfy { $0 == ($1 &- 0x41 < 26 ? $1 | 0x20 : $1) }
        }
    }

    static let longestExampleDomain = exampleDomains.map(\.utf8.count).max() ?? 0
    static let exampleDomainBytes = exampleDomains.map { Array($0.utf8) }

    /// Phone numbers: 10–15 digits, not one repeated digit. Country code 1 and numbers written
    /// without one are NANP: ten digits after the 1, area and exchange not starting with 0 or 1.
    static func phone(_ s: Substring) -> Bool {
        let d = digits(s)
        guard (10...15).contains(d.count), Set(d).count > 2 else { return false }
        if s.first == "+" && d[0] != 1 { return true }
        let national = d.count == 11 && d[0] == 1 ? Array(d.dropFirst()) : d
        guard national.count == 10 else { return false }
        return national[0] >= 2 && national[3] >= 2
    }

    /// A national number with its trunk 0 ("020 7946 0958", "06 12 34 56 78"): ten or eleven
    /// digits, a 0 and then not another 0 (00 opens an international number), more than two
    /// distinct digits.
    static func nationalPhone(_ s: Substring) -> Bool {
        let d = digits(s)
        return (10...11).contains(d.count) && d[0] == 0 && d[1] != 0 && Set(d).count > 2
    }

    /// `phone` over ASCII bytes.
    static func phone(ascii b: UnsafeBufferPointer<UInt8>) -> Bool {
        var count = 0, seen: UInt16 = 0
        var first = 0, second = 0, fourth = 0, fifth = 0
        for c in b where c &- 0x30 < 10 {
            let v = Int(c &- 0x30)
            switch count { case 0: first = v; case 1: second = v; case 3: fourth = v; case 4: fifth = v; default: break }
            seen |= 1 << UInt16(v)
            count += 1
        }
        guard (10...15).contains(count), seen.nonzeroBitCount > 2 else { return false }
        if b.first == 0x2B && first != 1 { return true }
        // The national number: after a leading 1 of eleven digits, else all ten.
        if count == 11 && first == 1 { return second >= 2 && fifth >= 2 }
        return count == 10 && first >= 2 && fourth >= 2
    }

    static let placeholderMarkers = ["example", "your", "xxxx", "placeholder", "changeme", "dummy", "sample",
                                     "redacted", "<", ">", "...", "****", "insert", "replace", "fake", "test_key"]

    static let placeholderWords: Set<String> = ["password", "passwd", "pass", "secret", "user", "username", "admin",
                                                "root", "test", "token", "apikey", "api_key", "changeit", "letmein", "qwerty"]

    static func isPlaceholder(_ s: Substring) -> Bool {
        let l = s.lowercased()
        if placeholderWords.contains(l) { return true }
        if placeholderMarkers.contains(where: { l.contains($0) }) { return true }
        let distinct = Set(l)
        return distinct.count <= 3
    }

    /// Keyword-assigned generic secrets: long enough, mixed character classes, entropy floor, not a
    /// placeholder, not an ordinary word or identifier.
    static func genericSecret(_ s: Substring) -> Bool {
        guard s.count >= 12, !isPlaceholder(s) else { return false }
        let hasDigit = s.contains(where: \.isNumber)
        let hasLetter = s.contains(where: \.isLetter)
        guard hasDigit && hasLetter else { return false }
        if s.allSatisfy({ $0.isLowercase || $0 == "_" || $0 == "-" || $0.isNumber }) && s.contains("_") && !s.contains(where: \.isNumber) { return false }
        return shannon(s) >= 3.3
    }

    /// A password someone wrote into a sentence ("my password is Tr0ub4dor&3"): 6 to 64 characters
    /// with a letter and a digit or a symbol other than a word joiner, not a placeholder. Words
    /// ("incorrect", "case-sensitive", "at least 8 characters") are not passwords.
    static func password(_ s: Substring) -> Bool {
        guard (6...64).contains(s.count), !isPlaceholder(s) else { return false }
        // A final "!" or "?" may be the sentence's ("the password is valid!"): it does not count.
        var core = s
        while let last = core.last, last == "!" || last == "?" { core = core.dropLast() }
        let hasLetter = core.contains(where: \.isLetter)
        let hasDigit = core.contains(where: \.isNumber)
        let hasSymbol = core.contains { !$0.isLetter && !$0.isNumber && $0 != "-" && $0 != "_" && $0 != "." && $0 != "'" }
        return hasLetter && (hasDigit || hasSymbol)
    }

    /// `password` over the bytes of an ASCII value (a sentence can hold hundreds of them).
    static func password(ascii b: UnsafeBufferPointer<UInt8>) -> Bool {
        // "\r\n" is one Character to the definition (a count, a distinct character): it decides.
        if b.contains(0x0D) { return password(String(decoding: b, as: UTF8.self)[...]) }
        guard (6...64).contains(b.count), !isPlaceholder(ascii: b) else { return false }
        var end = b.count
        while end > 0 && (b[end - 1] == 0x21 || b[end - 1] == 0x3F) { end -= 1 }
        var letter = false, digitOrSymbol = false
        for c in b[..<end] {
            if (c | 0x20) &- 0x61 < 26 { letter = true } else if c &- 0x30 < 10 {
                digitOrSymbol = true
            } else if c != 0x2D && c != 0x5F && c != 0x2E && c != 0x27 {
                digitOrSymbol = true
            }
        }
        return letter && digitOrSymbol
    }

    /// `isPlaceholder` over ASCII bytes without "\r\n": lower-cased once into a small stack copy.
    static func isPlaceholder(ascii b: UnsafeBufferPointer<UInt8>) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: b.count) { lower in
            var seen: (UInt64, UInt64) = (0, 0)
            var distinct = 0
            for (i, c) in b.enumerated() {
                let l = c &- 0x41 < 26 ? c | 0x20 : c
                lower[i] = l
                let bit = UInt64(1) << UInt64(l & 63)
                if l < 64 {
                    if seen.0 & bit == 0 { seen.0 |= bit; distinct += 1 }
                } else if seen.1 & bit == 0 {
                    seen.1 |= bit; distinct += 1
                }
            }
            if distinct <= 3 { return true }
            let value = UnsafeBufferPointer(lower)
            if placeholderWordBytes.contains(where: { $0.elementsEqual(value) }) { return true }
            return placeholderMarkerBytes.contains { marker in
                marker.count <= value.count && (0...(value.count - marker.count)).contains { at in
                    marker.elementsEqual(value[at..<at + marker.count])
                }
            }
        }
    }

    static let placeholderWordBytes = placeholderWords.map { Array($0.utf8) }
    static let placeholderMarkerBytes = placeholderMarkers.map { Array($0.utf8) }

    static func shannon(_ s: Substring) -> Double {
        var counts: [Character: Int] = [:]
        for c in s { counts[c, default: 0] += 1 }
        let n = Double(s.count)
        return counts.values.reduce(0) { h, c in let p = Double(c) / n; return h - p * log2(p) }
    }
}
