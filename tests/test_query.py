from datetime import date

from qa.retrieval.query import (
    DateRange,
    find_dates,
    find_outlet_mentions,
    find_outlets,
    outlet_aliases,
    plan_query,
)

OUTLETS = [
    "The Independent - Life and Style",
    "The Independent - Sports",
    "FOX News - Lifestyle",
    "TechCrunch",
    "The Verge",
    "The Age",
    "Cnbc | World Business News Leader",
]
TODAY = date(2023, 12, 25)


def test_outlets_named_in_full_or_by_their_parent_name() -> None:
    aliases = outlet_aliases(OUTLETS)
    assert find_outlets("as reported by both The Verge and TechCrunch?", aliases) == ("TechCrunch", "The Verge")
    assert find_outlets("Does 'The Independent - Life and Style' claim", aliases) == ("The Independent - Life and Style",)
    assert set(find_outlets("What did The Independent say?", aliases)) == {
        "The Independent - Life and Style",
        "The Independent - Sports",
    }
    assert find_outlets("the Cnbc | World Business News Leader article", aliases) == ("Cnbc | World Business News Leader",)


def test_each_outlet_named_is_one_mention_whatever_its_sections() -> None:
    mentions = find_outlet_mentions("How did The Guardian and The Independent react?", outlet_aliases(OUTLETS + ["The Guardian"]))
    assert mentions == (("The Independent - Life and Style", "The Independent - Sports"), ("The Guardian",))
    assert plan_query("How did The Verge and TechCrunch cover it?", OUTLETS, TODAY).mentions == (("TechCrunch",), ("The Verge",))


def test_outlet_names_inside_other_words_do_not_count() -> None:
    assert find_outlets("the converge of the agenda", outlet_aliases(["Verge", "The Age"])) == ()


def test_absolute_dates_in_several_spellings() -> None:
    day = DateRange(date(2023, 10, 20), date(2023, 10, 20))
    assert find_dates("published on October 20, 2023", TODAY) == (day,)
    assert find_dates("at '2023-10-20T13:55:17+00:00'", TODAY) == (day,)
    assert find_dates("on the 20th of October", TODAY) == (day,)
    assert find_dates("in October 2023", TODAY) == (DateRange(date(2023, 10, 1), date(2023, 10, 31)),)


def test_open_ranges_and_relative_dates() -> None:
    assert find_dates("reported after the 15th of November", TODAY) == (DateRange(date(2023, 11, 15), None),)
    assert find_dates("published before December 1, 2023", TODAY) == (DateRange(None, date(2023, 12, 1)),)
    assert find_dates("what happened last week", TODAY) == (DateRange(date(2023, 12, 18), TODAY),)
    # A day without a year is the latest one on or before "today".
    assert find_dates("on December 30", TODAY) == (DateRange(date(2022, 12, 30), date(2022, 12, 30)),)


def test_the_days_a_chat_user_names() -> None:
    wednesday, monday, sunday = date(2023, 12, 13), date(2023, 12, 4), date(2023, 12, 3)
    assert find_dates("What happened to Man United last night?", wednesday) == (DateRange(date(2023, 12, 12), wednesday),)
    assert find_dates("what happened with binance yesterday?", wednesday) == (DateRange(date(2023, 12, 12), wednesday),)
    assert find_dates("Today, what did the court decide?", wednesday) == (DateRange(wednesday, wednesday),)
    assert find_dates("box office this weekend?", monday) == (DateRange(date(2023, 12, 2), monday),)
    assert find_dates("who won last weekend?", wednesday) == (DateRange(date(2023, 12, 9), date(2023, 12, 11)),)
    assert find_dates("who won last weekend?", sunday) == (DateRange(date(2023, 11, 25), date(2023, 11, 27)),)
    assert find_dates("and this weekend?", sunday) == (DateRange(date(2023, 12, 2), sunday),)


def test_an_outlet_called_today_is_not_a_day() -> None:
    assert find_dates("What did USA Today report about the strike?", TODAY) == ()
    plan = plan_query("Did Business Today and TechCrunch report it today?", OUTLETS + ["Business Today"], TODAY)
    assert plan.sources == ("Business Today", "TechCrunch") and plan.dates == (DateRange(TODAY, TODAY),)


def test_plan_strips_outlets_and_dates_from_the_core_question() -> None:
    plan = plan_query("Did TechCrunch report on October 5, 2023 that Zorblax melted?", OUTLETS, TODAY)
    assert plan.sources == ("TechCrunch",)
    assert plan.dates == (DateRange(date(2023, 10, 5), date(2023, 10, 5)),)
    assert "TechCrunch" not in plan.core and "October" not in plan.core and "Zorblax melted" in plan.core


def test_an_outlet_label_drops_the_section_and_tagline() -> None:
    from qa.retrieval.query import outlet_label

    assert outlet_label("Cnbc | World Business News Leader") == "Cnbc"
    assert outlet_label("The Independent - Life and Style") == "The Independent"
    assert outlet_label("Reuters") == "Reuters"
