/// The `sql` argument check: SQL given to a tool that should only read.
///
/// A value is read as SQL only when its first word (after comments and opening parentheses) is a
/// SQL statement keyword, so "delete my account" sent to a search tool is text, not a statement.
/// Strings, quoted identifiers and comments are skipped, so `WHERE note = 'drop table'` reads.
/// What it refuses: statements that write or change the schema or permissions, in any statement
/// of the value (`SELECT 1; DROP TABLE t`, a writable CTE), and functions or clauses that reach
/// files, commands or timers. A statement is recognised by its shape (`DELETE FROM`, `DROP
/// TABLE`, `UPDATE t SET`), so "create a report; update the dashboard" is not one.
public enum SQLCheck {
    /// Keywords a statement may open with.
    static let openers: Set<String> = ["select", "with", "explain", "show", "describe", "desc", "values", "table",
                                       "insert", "update", "delete", "merge", "upsert", "replace", "drop", "create",
                                       "alter", "truncate", "grant", "revoke", "rename", "attach", "detach", "copy",
                                       "call", "exec", "execute", "do", "load", "pragma", "vacuum", "set", "use",
                                       "lock", "unlock", "handler", "import", "declare", "begin", "commit", "rollback"]
    /// What `DROP`, `CREATE` and `ALTER` act on.
    static let objectKinds: Set<String> = ["table", "view", "index", "database", "schema", "user", "role", "function",
                                           "procedure", "trigger", "extension", "sequence", "type", "temp", "temporary",
                                           "or", "unique", "materialized", "if", "policy", "login", "column", "constraint",
                                           "event", "server", "tablespace", "domain", "rule", "virtual"]
    /// Functions that read files, run commands or stall the database.
    static let dangerousFunctions: Set<String> = ["load_file", "pg_read_file", "pg_read_binary_file", "pg_ls_dir",
                                                  "pg_stat_file", "lo_import", "lo_export", "xp_cmdshell", "sys_exec",
                                                  "sys_eval", "pg_sleep", "sleep", "benchmark", "dbms_pipe",
                                                  "dbms_lock", "utl_http", "utl_file", "readfile", "writefile",
                                                  "load_extension", "openrowset", "opendatasource"]

    /// The problem with `value` as read-only SQL, or nil (also for a value that is not SQL).
    public static func problem(_ value: String) -> String? {
        var words: [(word: String, call: Bool)] = []
        var statementStarts = [0]
        var afterSemicolon = false
        let b = Array(value.utf8)
        var i = 0
        func isWordByte(_ c: UInt8) -> Bool {
            (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x24
        }
        while i < b.count {
            let c = b[i]
            switch c {
            case 0x27, 0x22, 0x60: // 'string', "identifier", `identifier` (a doubled quote escapes)
                var k = i + 1
                while k < b.count {
                    if b[k] == c { if k + 1 < b.count && b[k + 1] == c { k += 2; continue }; break }
                    if b[k] == 0x5C && c == 0x27 { k += 2; continue }
                    k += 1
                }
                i = k + 1
            case 0x2D where i + 1 < b.count && b[i + 1] == 0x2D, 0x23: // -- or # comment, to the end of the line
                while i < b.count && b[i] != 0x0A { i += 1 }
            case 0x2F where i + 1 < b.count && b[i + 1] == 0x2A: // /* comment */
                var k = i + 2
                while k + 1 < b.count && !(b[k] == 0x2A && b[k + 1] == 0x2F) { k += 1 }
                i = k + 2
            case 0x3B: // ;
                afterSemicolon = true
                i += 1
            default:
                guard isWordByte(c) else { i += 1; continue }
                var k = i
                while k < b.count && isWordByte(b[k]) { k += 1 }
                let w = String(decoding: b[i..<k], as: UTF8.self).lowercased()
                var n = k
                while n < b.count && (b[n] == 0x20 || b[n] == 0x09 || b[n] == 0x0A || b[n] == 0x0D) { n += 1 }
                if afterSemicolon { statementStarts.append(words.count); afterSemicolon = false }
                words.append((w, n < b.count && b[n] == 0x28))
                i = k
            }
            if words.count == 1 && !openers.contains(words[0].word) { return nil }
        }
        guard !words.isEmpty else { return nil }
        if let f = words.first(where: { $0.call && dangerousFunctions.contains($0.word) }) {
            return "SQL function `\(f.word.uppercased())` reaches files, commands or timers"
        }
        let starts = Set(statementStarts)
        for k in words.indices {
            if let w = writes(words, at: k, startsStatement: starts.contains(k)) { return "SQL `\(w)` writes or changes the database" }
        }
        return nil
    }

    /// The statement `words[k]` opens or starts inside a statement, when it is one that writes:
    /// the keyword with the words SQL requires after it, so "create a report" is not `CREATE`.
    static func writes(_ words: [(word: String, call: Bool)], at k: Int, startsStatement: Bool) -> String? {
        func word(_ j: Int) -> String? { j < words.count ? words[j].word : nil }
        let w = words[k].word
        let next = word(k + 1)
        let shaped: Bool
        switch w {
        case "insert", "merge", "upsert", "replace": shaped = next == "into" || (next == "ignore" || next == "or") && word(k + 3) == "into"
        case "update": shaped = (k + 2...k + 3).contains { word($0) == "set" }
        case "delete": shaped = next == "from" || word(k + 2) == "from"
        case "drop", "create", "alter": shaped = next.map(objectKinds.contains) ?? false
        case "truncate", "pragma", "vacuum", "attach", "detach", "rename", "lock": shaped = startsStatement
        case "grant", "revoke": shaped = startsStatement && words[(k + 1)...].contains { $0.word == "on" || $0.word == "to" || $0.word == "from" }
        case "copy": shaped = startsStatement && words[(k + 1)...].contains { $0.word == "to" || $0.word == "from" }
        // `CALL proc(…)`; `EXEC sp_name …`, `EXECUTE IMMEDIATE …` ("execute the plan" is prose).
        case "call": shaped = startsStatement && k + 1 < words.count && words[k + 1].call
        case "exec", "execute":
            shaped = startsStatement && k + 1 < words.count
                && (words[k + 1].call || words[k + 1].word.contains("_") || ["immediate", "procedure", "function"].contains(words[k + 1].word))
        case "into":
            if let file = next, file == "outfile" || file == "dumpfile" { return "INTO \(file.uppercased())" }
            shaped = words.first?.word == "select" && !words[..<k].contains { $0.word == "from" } && next != nil
            return shaped ? "SELECT … INTO" : nil
        default: shaped = false
        }
        return shaped ? w.uppercased() : nil
    }
}
