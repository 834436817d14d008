#!/usr/bin/env python3
"""An independent verifier of Custos custody bundles (format custos-bundle/1).

Written from docs/bundle-format.md alone -- section numbers below refer to that page -- and not from
Custos's TypeScript code, to show that the page is enough to check a bundle in another language.
It needs Python 3.9+ and the `cryptography` package (for Ed25519).

    verify_bundle.py <bundle.json> [--key <vkey>] [--checkpoint <file>]...

Exit code 0: the bundle verifies; 1: it does not (the first failure is printed); 64: usage error.
"""

import base64
import calendar
import hashlib
import json
import re
import sys
import time

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - reported clearly rather than as a traceback
    sys.stderr.write("verify_bundle.py needs the Python package 'cryptography' (pip install cryptography)\n")
    sys.exit(2)

FORMAT = "custos-bundle/1"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DECIMAL = re.compile(r"0|[1-9][0-9]*")
OFFSET_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
CUSTODY_TYPES = {
    "item.seized", "item.derived", "hash.recorded", "item.moved", "item.disposed", "item.corrected",
    "transfer.released", "transfer.accepted", "transfer.rejected", "transfer.cancelled",
}


class Fail(Exception):
    """The bundle does not verify."""


def sha256(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def node(left, right):
    return sha256(b"\x01", left, right)


def strict_b64(text, what):
    """Conventions: standard base64 with padding, the one canonical encoding of its bytes."""
    if not isinstance(text, str) or len(text) % 4 != 0 or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text):
        raise Fail(f"{what} is not base64")
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data).decode("ascii") != text:
        raise Fail(f"{what} is not canonical base64")
    return data


def hash32(text, what):
    data = strict_b64(text, what)
    if len(data) != 32:
        raise Fail(f"{what} is not a 32-byte hash")
    return data


# --- §6 RFC 8785 (for the data in Custos entries: ASCII member names, integer numbers) ---------

def jcs(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


# --- §3 the key -----------------------------------------------------------------------------

class Key:
    def __init__(self, vkey, what):
        parts = vkey.split("+", 2) if isinstance(vkey, str) else []
        if len(parts) != 3:
            raise Fail(f"{what} is not <name>+<key id>+<base64>")
        self.name, id_hex, key_b64 = parts
        if not re.fullmatch(r"[0-9a-fA-F]{8}", id_hex):
            raise Fail(f"{what}: the key ID is not 8 hex digits")
        data = strict_b64(key_b64, f"{what}: the key")
        if len(data) != 33 or data[0] != 0x01:
            raise Fail(f"{what}: not an Ed25519 key (0x01 followed by 32 bytes)")
        self.public = data[1:]
        self.key_id = sha256(self.name.encode("utf-8"), b"\x0a\x01", self.public)[:4]
        if self.key_id != bytes.fromhex(id_hex):
            raise Fail(f"{what}: the key ID {id_hex} is not the one of its name and key ({self.key_id.hex()})")
        self.canonical = f"{self.name}+{self.key_id.hex()}+{key_b64}"
        self.verifier = Ed25519PublicKey.from_public_bytes(self.public)

    def label(self):
        return f"{self.name}+{self.key_id.hex()}"

    def same(self, other):
        return self.name == other.name and self.key_id == other.key_id and self.public == other.public


# --- §4 signed notes and checkpoints --------------------------------------------------------

def open_note(note, key, what):
    """Returns the note's text if at least one signature line is by `key` and all such lines verify."""
    if re.search(r"[\x00-\x09\x0b-\x1f]", note):
        raise Fail(f"{what} contains control characters")
    split = note.rfind("\n\n")
    if split < 0:
        raise Fail(f"{what} is not a signed note (no blank line)")
    text, block = note[: split + 1], note[split + 2:]
    if not block or not block.endswith("\n"):
        raise Fail(f"{what}: the signature block does not end in a newline")
    by_key = 0
    for line in block[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise Fail(f"{what}: a signature line does not start with an em dash and a space")
        name, space, encoded = line[2:].partition(" ")
        if not space:
            raise Fail(f"{what}: a signature line has no signature")
        data = strict_b64(encoded, f"{what}: a signature")
        if len(data) < 5:
            raise Fail(f"{what}: a signature line is shorter than a key ID and a signature")
        if name != key.name or data[:4] != key.key_id:
            continue
        by_key += 1
        if len(data) != 68:
            raise Fail(f"{what}: the signature by {key.label()} is not 64 bytes")
        try:
            key.verifier.verify(data[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise Fail(f"{what}: the signature by {key.label()} does not verify") from None
    if by_key == 0:
        raise Fail(f"{what} is not signed by key {key.label()}")
    return text


def open_checkpoint(note, key, origin, what):
    text = open_note(note, key, what)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not DECIMAL.fullmatch(lines[1]):
        raise Fail(f"{what} is not a checkpoint")
    if lines[0] != origin:
        raise Fail(f"{what} is of origin {lines[0]!r}, not {origin!r}")
    return int(lines[1]), hash32(lines[2], f"{what}: the root hash")


# --- §5.6 / §5.8 proofs ---------------------------------------------------------------------

def verify_inclusion(index, size, leaf, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m, n, proof, root1, root2):
    if m == n:
        return not proof and root1 == root2
    if not proof:
        return False
    if m & (m - 1) == 0:
        proof = [root1] + proof
    fn, sn = m - 1, n - 1
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


# --- §5.1 shape -----------------------------------------------------------------------------

def members(value, where, required, optional=()):
    if not isinstance(value, dict):
        raise Fail(f"{where} is not an object")
    for name in value:
        if name not in required and name not in optional:
            raise Fail(f"{where} has an unknown member {name!r}")
    for name in required:
        if name not in value:
            raise Fail(f"{where} lacks {name!r}")
    return value


def text_member(record, name, where):
    value = record[name]
    if not isinstance(value, str) or not value:
        raise Fail(f"{where}.{name} is not a non-empty string")
    return value


def string_list(record, name, where):
    value = record[name]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Fail(f"{where}.{name} is not an array of strings")
    return value


def check_shape(bundle):
    if isinstance(bundle, dict) and "format" in bundle and bundle["format"] != FORMAT:
        raise Fail(f"unknown format {bundle['format']!r}")
    members(bundle, "bundle", ("format", "origin", "vkey", "subject", "checkpoint", "statement", "entries"), ("consistency", "timestamps"))
    subject = members(bundle["subject"], "bundle.subject", ("type", "id", "number"))
    if subject["type"] not in ("item", "case"):
        raise Fail("bundle.subject.type is neither item nor case")
    if not isinstance(subject["id"], str) or not UUID.fullmatch(subject["id"]):
        raise Fail("bundle.subject.id is not a lower-case UUID")
    text_member(subject, "number", "bundle.subject")
    for name in ("origin", "vkey", "checkpoint", "statement"):
        text_member(bundle, name, "bundle")
    if not isinstance(bundle["entries"], list):
        raise Fail("bundle.entries is not an array")
    for position, element in enumerate(bundle["entries"]):
        where = f"bundle.entries[{position}]"
        members(element, where, ("index", "entry", "inclusionProof"))
        if type(element["index"]) is not int or element["index"] < 0:
            raise Fail(f"{where}.index is not an integer >= 0")
        text_member(element, "entry", where)
        string_list(element, "inclusionProof", where)
    if "consistency" in bundle:
        members(bundle["consistency"], "bundle.consistency", ("checkpoint", "proof"))
        text_member(bundle["consistency"], "checkpoint", "bundle.consistency")
        string_list(bundle["consistency"], "proof", "bundle.consistency")
    # RFC 3161 tokens (§5.3b): shape only; this verifier does not check them (it needs a CMS library).
    if "timestamps" in bundle:
        if not isinstance(bundle["timestamps"], list):
            raise Fail("bundle.timestamps is not an array")
        for position, element in enumerate(bundle["timestamps"]):
            where = f"bundle.timestamps[{position}]"
            members(element, where, ("treeSize", "token"))
            if type(element["treeSize"]) is not int or element["treeSize"] < 1:
                raise Fail(f"{where}.treeSize is not an integer >= 1")
            text_member(element, "token", where)


# --- §5.2 - §5.9 the cryptography ---------------------------------------------------------

def verify_crypto(bundle, pinned, held_notes):
    check_shape(bundle)
    origin = bundle["origin"]
    key = pinned if pinned is not None else Key(bundle["vkey"], "bundle.vkey")
    if pinned is None and key.canonical != bundle["vkey"]:
        raise Fail("bundle.vkey is not in canonical form")
    n, root = open_checkpoint(bundle["checkpoint"], key, origin, "the checkpoint")
    if key.name != origin:
        raise Fail("the key is not named after the origin")
    if pinned is not None:
        own = Key(bundle["vkey"], "bundle.vkey")
        if own.canonical != bundle["vkey"] or not own.same(pinned):
            raise Fail(f"bundle.vkey is not the pinned key {pinned.label()}")
    statement = open_note(bundle["statement"], key, "the statement")

    entries = []
    previous = -1
    for element in bundle["entries"]:
        index = element["index"]
        if index <= previous:
            raise Fail(f"entry {index}: entries are not in ascending ledger order")
        previous = index
        if index >= n:
            raise Fail(f"entry {index} is beyond the checkpoint's tree size {n}")
        try:
            data = element["entry"].encode("utf-8")
        except UnicodeEncodeError:
            raise Fail(f"entry {index} is not valid Unicode") from None
        leaf = sha256(b"\x00", data)
        proof = [hash32(p, f"entry {index}: inclusion proof hash") for p in element["inclusionProof"]]
        if not verify_inclusion(index, n, leaf, proof, root):
            raise Fail(f"entry {index}: inclusion proof does not lead to the checkpoint root")
        entry = json.loads(data.decode("utf-8"))
        if not isinstance(entry, dict) or jcs(entry) != data:
            raise Fail(f"entry {index} is not a canonical JSON object")
        if entry.get("v") != 1 or entry.get("index") != index:
            raise Fail(f"entry {index}: wrong version or stated index")
        subject = entry.get("subject")
        actor = entry.get("actor")
        if (not isinstance(entry.get("type"), str) or not isinstance(subject, dict) or not isinstance(subject.get("type"), str)
                or not isinstance(subject.get("id"), str) or not isinstance(entry.get("data"), dict)
                or not (actor is None or (isinstance(actor, dict) and isinstance(actor.get("id"), str)))
                or not isinstance(entry.get("signatures"), list)):
            raise Fail(f"entry {index} is malformed")
        signed = {name: value for name, value in entry.items() if name not in ("index", "recordedAt", "signatures")}
        event_hash = hashlib.sha256(jcs(signed)).hexdigest()
        for signature in entry["signatures"]:
            if not isinstance(signature, dict) or signature.get("eventHash") != event_hash:
                raise Fail(f"entry {index}: a signature is not bound to this entry")
        entries.append(entry)

    subject = bundle["subject"]
    indexes = [entry["index"] for entry in entries]
    expected = "\n".join([
        FORMAT, origin, str(n), base64.b64encode(root).decode("ascii"),
        f"{subject['type']} {subject['id']} {subject['number']}",
        " ".join(["entries"] + [str(i) for i in indexes]),
    ]) + "\n"
    lines = statement[:-1].split("\n")
    if len(lines) == 6 and lines[:5] == expected[:-1].split("\n")[:5]:
        words = lines[5].split(" ")
        if words[0] == "entries" and all(DECIMAL.fullmatch(w) for w in words[1:]):
            listed = [int(w) for w in words[1:]]
            missing = [i for i in listed if i not in set(indexes)]
            if missing:
                raise Fail(f"entry {missing[0]} is missing from the bundle (the statement lists it)")
            extra = [i for i in indexes if i not in set(listed)]
            if extra:
                raise Fail(f"entry {extra[0]} is not on the statement")
    if statement != expected:
        raise Fail("the statement is not the statement of this bundle")

    proven = {n: root}
    if "consistency" in bundle:
        m, root1 = open_checkpoint(bundle["consistency"]["checkpoint"], key, origin, "the earlier checkpoint")
        proof = [hash32(p, "consistency proof hash") for p in bundle["consistency"]["proof"]]
        if m < 1 or m > n or not verify_consistency(m, n, proof, root1, root):
            raise Fail(f"the consistency proof from tree size {m} to {n} does not verify")
        proven[m] = root1
    for number, note in enumerate(held_notes, 1):
        size, held_root = open_checkpoint(note, key, origin, f"held checkpoint #{number}")
        if size not in proven:
            raise Fail(f"the bundle proves nothing about the held checkpoint of tree size {size}")
        if proven[size] != held_root:
            raise Fail(f"the held checkpoint of tree size {size} has another root: the ledger was rewritten")
    return key, n, root, entries, proven


# --- §5.10 - §5.13 the custody --------------------------------------------------------------

def party(p):
    return f"{p['displayName']} ({p['agency'] or 'no agency'})"


class Item:
    def __init__(self, entry):
        data = entry["data"]
        self.id = entry["subject"]["id"]
        self.number = entry["subject"].get("number", self.id)
        self.kind = data["item"]["kind"]
        self.description = data["item"]["description"]
        self.custodian = data["custodian"]["id"]
        self.custodians = [data["custodian"]]
        self.state = "in_custody"
        self.pending = None
        self.integrity_reasons = []
        self.entries = []          # indexes of the entries of this item
        self.references = {}       # target -> (index, {algorithm: value})


class Replay:
    def __init__(self, subject):
        self.subject = subject
        self.case_bundle = subject["type"] == "case"
        self.items = {}
        self.transfers = {}        # id -> {"from", "to", "pending"}
        self.seen = set()          # indexes of the custody entries replayed

    def fail(self, entry, why):
        raise Fail(f"entry {entry['index']}: {why}")

    def item(self, entry, item_id):
        item = self.items.get(item_id)
        if item is None and self.case_bundle:
            self.fail(entry, f"names item {item_id}, which was never registered")
        return item

    def signed(self, entry, signer, meaning):
        if not any(s.get("signerId") == signer and s.get("meaning") == meaning for s in entry["signatures"]):
            self.fail(entry, f"lacks the {meaning!r} signature of {signer}")

    def actor(self, entry):
        if entry["actor"] is None:
            self.fail(entry, "has no actor")
        return entry["actor"]["id"]

    def held(self, entry, item, actor):
        if item.state == "disposed":
            self.fail(entry, f"{item.number} was disposed of")
        if item.state != "in_custody":
            self.fail(entry, f"{item.number} is {item.state}")
        if item.custodian != actor:
            self.fail(entry, f"{actor} is not the custodian of {item.number}")

    def note(self, entry, items):
        for item in items:
            item.entries.append(entry["index"])
        self.seen.add(entry["index"])

    def reference(self, entry, item, target, values, weak):
        if target in item.references:
            self.fail(entry, f"a second reference of {target} of {item.number}")
        strong = any(v["algorithm"] in ("sha256", "sha512") for v in values)
        if weak is not (not strong):
            self.fail(entry, f"the reference of {target} is wrongly marked weak={weak}")
        item.references[target] = (entry["index"], {v["algorithm"]: v["value"] for v in values})

    def verification(self, entry, item, target, value):
        if target not in item.references:
            self.fail(entry, f"a verification of {target} of {item.number} without a reference")
        ref_index, ref_values = item.references[target]
        reference = ref_values.get(value["algorithm"])
        expected = "not_compared" if reference is None else ("match" if value["value"] == reference else "mismatch")
        if value.get("result") != expected:
            self.fail(entry, f"the {value['algorithm']} of {target} is recorded as {value.get('result')!r}, the values give {expected!r}")
        if expected == "not_compared":
            if "referenceIndex" in value:
                self.fail(entry, "a value not compared names a reference")
        elif value.get("referenceIndex") != ref_index:
            self.fail(entry, f"the {value['algorithm']} of {target} names the wrong reference entry")
        if expected == "mismatch":
            item.integrity_reasons.append(f"#{entry['index']}: {value['algorithm']} of {target} does not match the reference #{ref_index}")

    def apply(self, entry):
        kind = entry["type"]
        if kind not in CUSTODY_TYPES:
            return
        try:
            getattr(self, kind.replace(".", "_"))(entry, entry["data"])
        except (KeyError, TypeError, AttributeError) as error:
            self.fail(entry, f"malformed {kind} entry ({error!r})")

    def item_seized(self, entry, data, derived=False):
        item_id = entry["subject"]["id"]
        if item_id in self.items:
            self.fail(entry, "the item is registered twice")
        actor = self.actor(entry)
        if data["custodian"]["id"] != actor:
            self.fail(entry, "the first custodian is not the person who registers the item")
        if derived:
            self.signed(entry, actor, "acquired")
            parent_ref = data["item"]["parent"]
            parent = None if parent_ref is None else self.item(entry, parent_ref["id"])
            if parent is not None:
                if parent.state == "disposed":
                    self.fail(entry, f"derived from {parent.number} after its disposal")
                if parent.custodian != actor:
                    self.fail(entry, f"derived from {parent.number} by someone who does not hold it")
        item = Item(entry)
        self.items[item_id] = item
        if derived:
            hashes = data["hashes"]
            self.reference(entry, item, hashes["target"], hashes["values"], hashes["weak"])
        self.note(entry, [item])

    def item_derived(self, entry, data):
        self.item_seized(entry, data, derived=True)

    def hash_recorded(self, entry, data):
        item = self.item(entry, entry["subject"]["id"])
        if item is None:
            return
        actor = self.actor(entry)
        self.held(entry, item, actor)
        if data["role"] == "reference":
            self.signed(entry, actor, "acquired")
            self.reference(entry, item, data["target"], data["values"], data.get("weak"))
        elif data["role"] == "verification":
            for value in data["values"]:
                self.verification(entry, item, data["target"], value)
        else:
            self.fail(entry, f"unknown role {data['role']!r}")
        self.note(entry, [item])

    def item_moved(self, entry, data):
        item = self.item(entry, entry["subject"]["id"])
        if item is None:
            return
        self.held(entry, item, self.actor(entry))
        self.note(entry, [item])

    def item_disposed(self, entry, data):
        item = self.item(entry, entry["subject"]["id"])
        if item is None:
            return
        self.held(entry, item, self.actor(entry))
        self.signed(entry, item.custodian, "disposed")
        if data["witness"]["id"] == item.custodian:
            self.fail(entry, "the custodian witnesses their own disposal")
        self.signed(entry, data["witness"]["id"], "witnessed")
        item.state = "disposed"
        self.note(entry, [item])

    def item_corrected(self, entry, data):
        item = self.item(entry, entry["subject"]["id"])
        if item is None:
            return
        corrects = entry.get("corrects")
        if corrects is None:
            self.fail(entry, "a correction names no entry")
        self.signed(entry, self.actor(entry), "corrected")
        target = corrects["index"]
        if target not in item.entries and (self.case_bundle or target in self.seen):
            self.fail(entry, f"corrects entry {target}, which is not an entry of {item.number}")
        if target in item.entries and target == item.entries[0]:
            for change in data["changes"]:
                if change["field"] == "description" and isinstance(change["to"], str):
                    item.description = change["to"]
        self.note(entry, [item])

    def transfer_released(self, entry, data):
        actor = self.actor(entry)
        if actor != data["from"]["id"]:
            self.fail(entry, "the release is not made by the releasing custodian")
        self.signed(entry, data["from"]["id"], "released")
        if data["from"]["id"] == data["to"]["id"]:
            self.fail(entry, "a transfer to oneself")
        transfer = entry["subject"]["id"]
        if transfer in self.transfers:
            self.fail(entry, "the transfer is released twice")
        items = []
        for ref in data["items"]:
            item = self.item(entry, ref["id"])
            if item is None:
                continue
            self.held(entry, item, data["from"]["id"])
            item.state = "transfer_pending"
            item.pending = transfer
            items.append(item)
        if items:
            self.transfers[transfer] = {
                "from": data["from"]["id"],
                "to": data["to"]["id"],
                "pending": len(items),
                "occurredAt": self.stated_time(entry, data),
            }
        self.note(entry, items)

    def stated_time(self, entry, data):
        """A transfer entry's hand-over time (ADR 0033); None in entries from before it existed."""
        text = data.get("occurredAt")
        if text is None:
            return None
        if not isinstance(text, str) or not OFFSET_DATE_TIME.match(text):
            self.fail(entry, f"occurredAt {text!r} is not a date-time with its offset")
        match = OFFSET_DATE_TIME.match(text)
        local = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
        offset = 0 if match.group(2) == "Z" else int(match.group(2)[:3]) * 3600 + int(match.group(2)[0] + match.group(2)[4:]) * 60
        # (UTC seconds, nanoseconds): comparable whatever the offset and the digits of the fraction.
        return text, (local - offset, int((match.group(1) or ".")[1:].ljust(9, "0")))

    def resolve(self, entry, data):
        transfer = entry["subject"]["id"]
        known = self.transfers.get(transfer)
        if known is None and self.case_bundle:
            self.fail(entry, "resolves a transfer that was never released")
        if known is not None and (data["from"]["id"] != known["from"] or data["to"]["id"] != known["to"]):
            self.fail(entry, "names other parties than the release")
        items = []
        for ref in data["items"]:
            item = self.item(entry, ref["id"])
            if item is None:
                continue
            if item.state != "transfer_pending" or item.pending != transfer or item in items:
                self.fail(entry, f"{item.number} is not pending in this transfer")
            items.append(item)
        if known is not None:
            known["pending"] -= len(items)
            if known["pending"] <= 0:
                del self.transfers[transfer]
        return items

    def transfer_accepted(self, entry, data):
        if self.actor(entry) != data["to"]["id"]:
            self.fail(entry, "only the named receiver accepts")
        self.signed(entry, data["to"]["id"], "received")
        released = self.transfers.get(entry["subject"]["id"], {}).get("occurredAt")
        received = self.stated_time(entry, data)
        if released is not None and received is not None and received[1] < released[1]:
            self.fail(entry, f"received at {received[0]}, before its release at {released[0]}")
        items = self.resolve(entry, data)
        statements = {accepted["id"]: accepted for accepted in data["items"]}
        for item in items:
            accepted = statements[item.id]
            item.custodian = data["to"]["id"]
            item.custodians.append(data["to"])
            item.state = "in_custody"
            item.pending = None
            if accepted["sealIntact"] is False:
                item.integrity_reasons.append(f"#{entry['index']}: seal broken on receipt ({accepted.get('sealNote')})")
            for value in accepted["hashes"]:
                self.verification(entry, item, value["target"], value)
        self.note(entry, items)

    def transfer_rejected(self, entry, data):
        if self.actor(entry) != data["to"]["id"]:
            self.fail(entry, "only the named receiver rejects")
        self.signed(entry, data["to"]["id"], "rejected")
        self.closed(entry, data)

    def transfer_cancelled(self, entry, data):
        if self.actor(entry) != data["from"]["id"]:
            self.fail(entry, "only the releasing custodian cancels")
        self.closed(entry, data)

    def closed(self, entry, data):
        items = self.resolve(entry, data)
        for item in items:
            item.state = "in_custody"
            item.pending = None
        self.note(entry, items)


def concerns(entry, item_id):
    subject = entry["subject"]
    if subject["type"] == "item":
        return subject["id"] == item_id
    items = entry["data"].get("items")
    return subject["type"] == "transfer" and isinstance(items, list) and any(isinstance(i, dict) and i.get("id") == item_id for i in items)


def verify_custody(bundle, entries):
    subject = bundle["subject"]
    if subject["type"] == "item":
        if not entries:
            raise Fail("an item bundle without the item's registration")
        first = entries[0]
        if first["type"] not in ("item.seized", "item.derived") or first["subject"]["id"] != subject["id"] \
                or first["subject"].get("number") != subject["number"]:
            raise Fail(f"entry {first['index']}: the bundle does not start with the registration of {subject['number']}")
        for entry in entries:
            if not concerns(entry, subject["id"]):
                raise Fail(f"entry {entry['index']} does not concern item {subject['number']}")
    else:
        for entry in entries:
            case = entry.get("case")
            if not isinstance(case, dict) or case.get("id") != subject["id"] or case.get("number") != subject["number"]:
                raise Fail(f"entry {entry['index']} is not an entry of case {subject['number']}")
    replay = Replay(subject)
    for entry in entries:
        replay.apply(entry)
    return replay


def main(argv):
    path, key_text, held = None, None, []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("--key", "--checkpoint") and args:
            value = args.pop(0)
            if arg == "--key":
                key_text = value
            else:
                held.append(value)
        elif path is None and not arg.startswith("-"):
            path = arg
        else:
            sys.stderr.write(__doc__)
            return 64
    if path is None:
        sys.stderr.write(__doc__)
        return 64
    if key_text is None:
        print("WARNING: key not pinned: trusting the key inside the bundle")
    try:
        with open(path, "rb") as handle:
            bundle = json.loads(handle.read().decode("utf-8"))
        held_notes = []
        for name in held:
            with open(name, "r", encoding="utf-8") as handle:
                held_notes.append(handle.read())
        pinned = None if key_text is None else Key(key_text.strip(), "the pinned key")
        key, n, root, entries, proven = verify_crypto(bundle, pinned, held_notes)
        replay = verify_custody(bundle, entries)
    except Fail as failure:
        print(f"FAILED: {failure}")
        return 1
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        print(f"FAILED: cannot read the bundle: {error}")
        return 1
    subject = bundle["subject"]
    canonical = jcs(bundle)
    print(f"bundle of {subject['type']} {subject['number']}, SHA-256 {hashlib.sha256(canonical).hexdigest()}")
    print(f"key {key.label()}, checkpoint tree size {n}, root {base64.b64encode(root).decode('ascii')}")
    for size in sorted(proven):
        if size != n:
            print(f"consistent with the checkpoint of tree size {size}")
    for item in replay.items.values():
        integrity = "COMPROMISED: " + "; ".join(item.integrity_reasons) if item.integrity_reasons else "INTACT"
        print(f"{item.number} ({item.kind}: {item.description}): {integrity}")
        print("  custodians: " + " → ".join(party(p) for p in item.custodians) + f"; now {item.state}")
    print(f"VERIFIED: {len(entries)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
