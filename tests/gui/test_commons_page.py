"""The Commons page: search, a new resource, adopt and adapt, who's who; sharing a PDSA from Improvement."""

from __future__ import annotations

from datetime import date

from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.commons import CommonsPage
from lhn_desktop.gui.pages.improvement import ImprovementPage
from tests.gui.conftest import screenshot, when_dialog_opens


def test_search_add_adopt_and_adapt(window: MainWindow, qtbot) -> None:
    page = window.go_to(CommonsPage)
    assert isinstance(page, CommonsPage)

    def fill(dialog) -> None:
        qtbot.keyClicks(dialog.title_, "Stadiometer at check-in")
        qtbot.keyClicks(dialog.summary, "Measure height before the visit")
        qtbot.keyClicks(dialog.tags, "growth, model care")
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    when_dialog_opens(fill)
    page.actions_["new"].trigger()
    assert page.current is not None and page.current.row.title == "Stadiometer at check-in"
    qtbot.keyClicks(page.search, "stadiom")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    page.actions_["adopt"].trigger()
    assert page.current.row.adoptions == 1

    def adapt(dialog) -> None:
        qtbot.keyClicks(dialog.changed, "Added a Spanish version")
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    when_dialog_opens(adapt)
    page.actions_["adapt"].trigger()
    assert page.current.adapted_from is not None and "Adapted from" in page.detail.text()
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 2)
    assert any(c.produced >= 2 for c in page.cards.rows_model.rows)


def test_share_a_pdsa_cycle_from_the_improvement_page(window: MainWindow) -> None:
    improvement = window.go_to(ImprovementPage)
    goal = next(g for g in improvement.goals.values() if g.cycles)
    improvement.tree.setCurrentItem(improvement._find(("cycle", goal.cycles[0].id)))
    improvement.actions_["share"].trigger()
    assert "Shared to the commons" in improvement.detail.text()
    assert window.ctx.commons.search(goal.cycles[0].title.split()[0])


def test_a_resource_looked_at_counts_as_awareness_and_the_engagement_chart_shows_four_levels(
    window: MainWindow, qtbot
) -> None:
    page = window.go_to(CommonsPage)
    assert isinstance(page, CommonsPage)
    month = f"{date.today():%Y-%m}"  # when the view is noted, by the computer's clock
    before = window.ctx.commons.engagement([month])[0]
    page._looked.setInterval(20)  # a few seconds in use; a moment here
    page.table.selectRow(1)
    qtbot.waitUntil(lambda: window.ctx.commons.engagement([month])[0].count("awareness") > before.count("awareness"))
    assert window.ctx.commons.engagement([month])[0].by_role().get("physician") == 1
    page.tabs.setCurrentIndex(1)
    titles = [ax.get_title(loc="left") for ax in page.engagement_chart.canvas.figure.axes]
    assert titles == ["Aware", "Taking part", "Contributing", "Owning"]
    screenshot(page, "commons-engagement")


def test_the_engagement_chart_waits_for_its_tab_and_is_drawn_at_its_size(window: MainWindow, qtbot, recwarn) -> None:
    """Filled while its tab is hidden, the picture is laid out only once shown (not at a hidden tab's few pixels,
    where matplotlib warned that its axes collapsed), then drawn at the size the tab gives it."""
    page = window.go_to(CommonsPage)
    chart = page.engagement_chart
    qtbot.waitUntil(lambda: bool(chart.canvas.figure.axes))  # the picture is in, its tab still hidden
    qtbot.wait(100)  # time for a drawing the canvas had asked for
    assert not chart.isVisible() and chart.canvas.figure.stale  # not drawn while hidden
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not chart.canvas.figure.stale)
    assert chart.canvas.width() > 400
    assert not [w for w in recwarn if "collapsed" in str(w.message)]


def test_the_actions_on_a_resource_wait_for_one_to_be_shown(window: MainWindow, qtbot) -> None:
    """With nothing listed (an empty commons, or a search that matches nothing) Adopt, Adapt and Save attachment are
    off, rather than on and doing nothing."""
    page = window.go_to(CommonsPage)
    assert page.current is not None and page.actions_["adopt"].isEnabled() and page.actions_["adapt"].isEnabled()
    qtbot.keyClicks(page.search, "zzqx nothing like this")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)
    assert page.current is None
    assert not any(page.actions_[key].isEnabled() for key in ("adopt", "adapt", "open"))
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    assert page.current is not None and page.actions_["adopt"].isEnabled()
    assert page.actions_["open"].isEnabled() == bool(page.current.attachment_name)


def test_every_column_of_the_list_is_in_view_and_the_title_takes_the_rest(window: MainWindow, qtbot) -> None:
    """At a clinic workstation's usual width the list needs no sideways scrolling: Kind to Adopted keep their
    contents' width in view, and the title takes what is left (a cut title is whole in its tool tip and the pane)."""
    window.resize(1200, 760)
    page = window.go_to(CommonsPage)
    assert isinstance(page, CommonsPage) and page.model.rowCount() > 0
    qtbot.waitUntil(lambda: page.table.viewport().width() > 300)
    header = page.table.horizontalHeader()
    last = header.count() - 1
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= page.table.viewport().width()
    assert not page.table.horizontalScrollBar().isVisible()
    assert header.sectionSize(0) >= page.table.fontMetrics().averageCharWidth() * 24


def test_whos_who_names_roles_as_the_team_does(window: MainWindow) -> None:
    """The who's who says "QI lead" and "Parent partner", not the stored qi_lead or "parent partner"."""
    page = window.go_to(CommonsPage)
    assert isinstance(page, CommonsPage)
    model = page.cards.model()
    roles = {model.index(r, 1).data() for r in range(model.rowCount())}
    assert "QI lead" in roles and "Parent partner" in roles
    assert not any("_" in role or role == role.lower() for role in roles)
