"""spec_layout: the problems that break a grouped Airbyte connector form."""
from sense_testing.spec_layout import layout_problems


def _spec(**props):
    return {"required": ["a"], "groups": [{"id": "one", "title": "One"}, {"id": "two", "title": "Two"}], "properties": props}


def test_a_grouped_ordered_spec_has_no_problems():
    assert layout_problems(_spec(a={"group": "one", "order": 0}, b={"group": "two", "order": 0, "always_show": True})) == []


def test_each_way_of_breaking_the_layout_is_named():
    assert layout_problems({"properties": {"a": {"order": 0}}}) == [
        "the spec has no 'groups': every setting lands in one flat list",
        "setting 'a' is in group None, which is not one of the spec's groups []",
    ]
    problems = layout_problems(_spec(a={"group": "one", "order": 1, "always_show": True}, b={"group": "one", "order": 1},
                                     c={"group": "three"}))
    assert problems == [
        "setting 'a' is required: it is always shown, 'always_show' means nothing there",
        "setting 'c' is in group 'three', which is not one of the spec's groups ['one', 'two']",
        "setting 'c' has no integer 'order'",
        "orders repeat within group 'one': [1, 1]",
        "group 'two' holds no setting",
    ]
    assert layout_problems({"groups": [{"id": "x"}, {"id": "x", "title": "X"}], "properties": {"a": {"group": "x", "order": 0}}}) == [
        "group ids repeat: ['x', 'x']", "group 'x' has no title"]
