"""TaggedJSONSerializer: the session's JSON dialect that round-trips more Python types."""

from __future__ import annotations

import json as stdlib_json
import typing as t
import uuid
from collections import OrderedDict
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from fractions import Fraction

import pytest
from markupsafe import Markup

from sitec.runtime.json.tag import JSONTag
from sitec.runtime.json.tag import TaggedJSONSerializer

STAMP = datetime(2019, 7, 14, 18, 30, 5, tzinfo=UTC)
IDENT = uuid.UUID("a8098c1a-f86e-11da-bd1a-00112444be1e")


@pytest.fixture
def serializer() -> TaggedJSONSerializer:
    return TaggedJSONSerializer()


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"plain": "dict", "n": 1, "f": 2.5, "none": None, "yes": True},
        ["a", 1, None],
        (),
        ("one",),
        (1, 2, 3),
        b"",
        b"\x00binary\xff",
        Markup("<strong>safe</strong>"),
        IDENT,
        STAMP,
        "plain string",
        " t",  # a string that happens to be a tag key
        42,
        None,
    ],
    ids=repr,
)
def test_builtin_tags_round_trip(serializer: TaggedJSONSerializer, value: t.Any) -> None:
    loaded = serializer.loads(serializer.dumps(value))
    assert loaded == value
    assert type(loaded) is type(value)


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ((1, 2), {" t": [1, 2]}),
        (b"hi", {" b": "aGk="}),
        (Markup("<p>"), {" m": "<p>"}),
        (IDENT, {" u": "a8098c1af86e11dabd1a00112444be1e"}),
        (STAMP, {" d": "Sun, 14 Jul 2019 18:30:05 GMT"}),
        ({" t": "x"}, {" di": {" t__": "x"}}),
        ({"k": (1,)}, {"k": {" t": [1]}}),
        ([b"a"], [{" b": "YQ=="}]),
    ],
)
def test_wire_format(serializer: TaggedJSONSerializer, value: t.Any, wire: t.Any) -> None:
    dumped = serializer.dumps(value)
    assert stdlib_json.loads(dumped) == wire
    # Compact: exactly what json writes with the tightest separators.
    assert dumped == stdlib_json.dumps(wire, separators=(",", ":"))


def test_deeply_nested_values(serializer: TaggedJSONSerializer) -> None:
    value = {
        "tuples": ((1, (2, (3, b"deep"))), [("x", IDENT)]),
        "tagged keys": {" d": STAMP},
        "tag-like inside": [{" b": "not bytes"}, {" di": {" t": ()}}],
        "markup list": [Markup("<a>"), Markup("&amp;")],
        "many keys": {" t": 1, " b": 2},
    }
    assert serializer.loads(serializer.dumps(value)) == value


def test_one_key_dict_with_an_unknown_key_is_left_alone(serializer: TaggedJSONSerializer) -> None:
    assert serializer.loads('{" zz": [1, 2]}') == {" zz": [1, 2]}
    assert serializer.untag({" zz": 1}) == {" zz": 1}
    assert serializer.untag({" t": [1], "other": 2}) == {" t": [1], "other": 2}


def test_datetime_precision_and_zone(serializer: TaggedJSONSerializer) -> None:
    with_micro = datetime(2020, 2, 2, 2, 2, 2, 999_999, tzinfo=UTC)
    assert serializer.loads(serializer.dumps(with_micro)) == with_micro.replace(microsecond=0)
    other_zone = datetime(2020, 2, 2, 4, 2, 2, tzinfo=timezone(timedelta(hours=2)))
    loaded = serializer.loads(serializer.dumps(other_zone))
    assert loaded == other_zone
    assert loaded.utcoffset() == timedelta(0)


def test_markup_like_objects_load_as_markup(serializer: TaggedJSONSerializer) -> None:
    class Widget:
        def __html__(self) -> str:
            return "<widget/>"

    loaded = serializer.loads(serializer.dumps([Widget()]))
    assert loaded == [Markup("<widget/>")]
    assert isinstance(loaded[0], Markup)


def test_unserializable_value_is_a_type_error(serializer: TaggedJSONSerializer) -> None:
    with pytest.raises(TypeError):
        serializer.dumps({"s": {1, 2}})


class TagFraction(JSONTag):
    __slots__ = ()
    key = " fr"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, Fraction)

    def to_json(self, value: t.Any) -> t.Any:
        return [value.numerator, value.denominator]

    def to_python(self, value: t.Any) -> t.Any:
        return Fraction(*value)


def test_register_a_custom_tag(serializer: TaggedJSONSerializer) -> None:
    with pytest.raises(TypeError):
        serializer.dumps(Fraction(1, 3))

    serializer.register(TagFraction)
    value = {"third": Fraction(1, 3), "list": [Fraction(-5, 2), (Fraction(7),)]}
    dumped = serializer.dumps(value)
    assert stdlib_json.loads(dumped)["third"] == {" fr": [1, 3]}
    assert serializer.loads(dumped) == value
    assert isinstance(serializer.tags[" fr"], TagFraction)
    assert serializer.order[-1] is serializer.tags[" fr"]

    # Registration is per serializer.
    with pytest.raises(TypeError):
        TaggedJSONSerializer().dumps(Fraction(1, 3))


class TagOrderedDict(JSONTag):
    """Keeps OrderedDict's type, which the plain dict handling would lose."""

    __slots__ = ()
    key = " od"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, OrderedDict)

    def to_json(self, value: t.Any) -> t.Any:
        return [[k, self.serializer.tag(v)] for k, v in value.items()]

    def to_python(self, value: t.Any) -> t.Any:
        return OrderedDict(value)


def test_index_decides_priority(serializer: TaggedJSONSerializer) -> None:
    value = OrderedDict([("b", (1,)), ("a", b"2")])

    appended = TaggedJSONSerializer()
    appended.register(TagOrderedDict)
    # Tried after the dict handling, the custom tag never sees the value.
    assert type(appended.loads(appended.dumps(value))) is dict

    serializer.register(TagOrderedDict, index=0)
    assert serializer.order[0] is serializer.tags[" od"]
    loaded = serializer.loads(serializer.dumps(value))
    assert type(loaded) is OrderedDict
    assert list(loaded.items()) == [("b", (1,)), ("a", b"2")]


def test_duplicate_key_is_refused(serializer: TaggedJSONSerializer) -> None:
    class AnotherTuple(JSONTag):
        __slots__ = ()
        key = " t"

        def check(self, value: t.Any) -> bool:
            return False

    before = serializer.tags[" t"]
    with pytest.raises(KeyError, match="' t'"):
        serializer.register(AnotherTuple)
    assert serializer.tags[" t"] is before
    assert not any(isinstance(tag, AnotherTuple) for tag in serializer.order)


def test_force_replaces_the_loader_of_a_key(serializer: TaggedJSONSerializer) -> None:
    class LenientUUID(JSONTag):
        """Loads " u" values as plain strings and tags UUIDs ahead of the default."""

        __slots__ = ()
        key = " u"

        def check(self, value: t.Any) -> bool:
            return isinstance(value, uuid.UUID)

        def to_json(self, value: t.Any) -> t.Any:
            return str(value)

        def to_python(self, value: t.Any) -> t.Any:
            return f"uuid:{value}"

    serializer.register(LenientUUID, force=True, index=0)
    assert isinstance(serializer.tags[" u"], LenientUUID)
    dumped = serializer.dumps(IDENT)
    assert stdlib_json.loads(dumped) == {" u": str(IDENT)}
    assert serializer.loads(dumped) == f"uuid:{IDENT}"


def test_tag_without_key_transforms_in_place(serializer: TaggedJSONSerializer) -> None:
    class Shout(JSONTag):
        """No key: the value is rewritten, not wrapped, so it loads as the rewritten form."""

        __slots__ = ()

        def check(self, value: t.Any) -> bool:
            return isinstance(value, str) and value.startswith("!")

        def to_json(self, value: t.Any) -> t.Any:
            return value.upper()

        def tag(self, value: t.Any) -> t.Any:
            return self.to_json(value)

    serializer.register(Shout, index=0)
    assert serializer.loads(serializer.dumps(["!hey", "calm"])) == ["!HEY", "calm"]
    assert "" not in serializer.tags
