"""Rewrites of a text that tests/format_variants.py and tests/quality_gate.py share: obfuscations an
attacker applies to a prompt. Each is a function of the text (and, for typos, a random source)."""
import base64, binascii, random

homoglyphs = str.maketrans("aeopcxyiAEOPCXBHKMT", "аеорсхуіАЕОРСХВНКМТ")
small_caps = str.maketrans("abcdefghijklmnoprstuvwyzABCDEFGHIJKLMNOPRSTUVWYZ", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ" * 2)
turned = str.maketrans("abcdefghijklmnopqrtuvwy.!?", "ɐqɔpǝɟƃɥᴉɾʞןɯuodbɹʇnʌʍʎ˙¡¿")
nato = dict(zip("abcdefghijklmnopqrstuvwxyz", "Alfa Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliett Kilo Lima Mike "
                "November Oscar Papa Quebec Romeo Sierra Tango Uniform Victor Whiskey Xray Yankee Zulu".split()))


def hyphens_in_words(t):
    # A hyphen at a random place inside each word of five letters or more, seeded by the text.
    rng = random.Random(t)
    return " ".join(w[:i] + "-" + w[i:] if len(w) >= 5 and w.isalpha() and (i := rng.randrange(2, len(w) - 1)) else w for w in t.split(" "))


def stuttered(t):
    # One letter doubled at a random place in each word of four letters or more, seeded by the text.
    rng = random.Random(t)
    return " ".join(w[:i] + w[i] + w[i:] if len(w) >= 4 and w.isalpha() and (i := rng.randrange(0, len(w))) >= 0 else w for w in t.split(" "))


def typos(t, rng):
    # Two neighbouring letters swapped inside a quarter of the words of five letters or more.
    out = []
    for w in t.split(" "):
        if len(w) > 4 and rng.random() < 0.25:
            i = rng.randrange(1, len(w) - 2)
            w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
        out.append(w)
    return " ".join(out)


def shift(t, k):
    # Letters moved k places on (k = 26: Atbash, a↔z).
    def one(c):
        if not (c.isascii() and c.isalpha()): return c
        b = ord("a") if c.islower() else ord("A")
        i = ord(c) - b
        return chr(b + (25 - i if k == 26 else (i + k) % 26))
    return "".join(map(one, t))


def spelled(t):
    # The NATO alphabet, `/` between words.
    return " / ".join(" ".join(nato[c] for c in w.lower() if c in nato) for w in t.split())


def spelled_unbroken(t):
    # The NATO alphabet with no word breaks, as garak's encoder spells.
    return " ".join(nato[c] for c in t.lower() if c in nato)


def ascii85(t): return base64.a85encode(t.encode()).decode()
def base85(t): return base64.b85encode(t.encode()).decode()


def uuencoded(t):
    # binascii.b2a_uu 45 bytes a line, as garak's UUencode probe writes it.
    b = t.encode()
    return "".join(binascii.b2a_uu(b[i:i + 45]).decode() for i in range(0, len(b), 45))
