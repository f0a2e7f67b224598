"""WCAG contrast of the text a window shows, measured in its rendered pixels.

Each place that shows text (a label, a button, an item view's cell, a header section, a menu-bar
entry, a run of text in a text document) is a region of the grabbed image. In a region, the most
frequent colour is the background, and the text colour is the one that stands out most from it
and covers at least a few pixels (so that one stray pixel of a border does not count as text).
Antialiased glyphs reach their full colour in the stems of ordinary text, so that colour is
the text's own.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenuBar,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QTreeView,
    QWidget,
)

from mailapp.ui.common.theme import AA_TEXT, contrast_ratio

# Pixels of the text colour a region must hold before it counts as the text's colour.
MIN_TEXT_PIXELS = 4
MAX_ROWS = 200  # rows of one item view looked at (the visible ones come first)


@dataclass(frozen=True)
class Measure:
    where: str
    text: str
    ratio: float
    text_color: str
    background: str

    def __str__(self) -> str:
        return (
            f"{self.where} {self.text!r}: {self.ratio:.2f}:1 "
            f"({self.text_color} on {self.background})"
        )


def _argb(value: int) -> QColor:
    return QColor((value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF)


def measure_region(image: QImage, rect: QRect) -> tuple[float, QColor, QColor] | None:
    """(contrast, text colour, background) in `rect` of `image`, None where nothing is drawn."""
    rect = rect.intersected(image.rect())
    if rect.width() < 2 or rect.height() < 2:
        return None
    bits = image.constBits()
    per_line = image.bytesPerLine()
    counts: Counter[int] = Counter()
    for y in range(rect.top(), rect.bottom() + 1):
        start = y * per_line + rect.left() * 4
        line = array("I")
        line.frombytes(bytes(bits[start : start + rect.width() * 4]))
        counts.update(value & 0xFFFFFF for value in line)
    (background_value, _), *others = counts.most_common()
    background = _argb(background_value)
    ranked = sorted(
        ((contrast_ratio(_argb(value), background), value, count) for value, count in others),
        reverse=True,
    )
    seen = 0
    for ratio, value, count in ranked:
        seen += count
        if seen >= MIN_TEXT_PIXELS:
            return ratio, _argb(value), background
    return None


def _text_regions(top: QWidget) -> Iterator[tuple[QWidget, QRect, str]]:
    """(widget, rectangle in the widget's coordinates, its text) for each visible text."""
    for widget in [top, *top.findChildren(QWidget)]:
        if not widget.isVisibleTo(top) and widget is not top:
            continue
        if not widget.isEnabled() and not isinstance(widget, QLabel):
            # WCAG exempts inactive controls, whose dimmed text is the point; a label is no
            # control, and a disabled one used as "secondary text" must still be read.
            continue
        if isinstance(widget, QLabel):
            if widget.text().strip() and widget.pixmap().isNull():
                yield widget, widget.contentsRect(), widget.text()
        elif isinstance(widget, QAbstractButton):
            if widget.text().strip() and not _icon_only(widget):
                yield widget, widget.rect().adjusted(3, 3, -3, -3), widget.text()
        elif isinstance(widget, QLineEdit):
            if widget.text() and widget.echoMode() == QLineEdit.EchoMode.Normal:
                yield widget, widget.rect().adjusted(3, 3, -3, -3), widget.text()
        elif isinstance(widget, QComboBox):
            if not widget.isEditable() and widget.currentText():
                yield widget, widget.rect().adjusted(3, 3, -24, -3), widget.currentText()
        elif isinstance(widget, QHeaderView):
            yield from _header_regions(widget)
        elif isinstance(widget, QAbstractItemView):
            yield from _item_regions(widget)
        elif isinstance(widget, QTextEdit):
            yield from _document_regions(widget)
        elif isinstance(widget, QPlainTextEdit):
            yield from _plain_regions(widget)
        elif isinstance(widget, QMenuBar):
            for action in widget.actions():
                if action.isVisible() and action.text():
                    yield (
                        widget,
                        widget.actionGeometry(action).adjusted(2, 2, -2, -2),
                        action.text(),
                    )
        elif isinstance(widget, QTabBar):
            for i in range(widget.count()):
                yield widget, widget.tabRect(i).adjusted(4, 4, -4, -4), widget.tabText(i)


def _icon_only(button: QAbstractButton) -> bool:
    style = getattr(button, "toolButtonStyle", None)
    return style is not None and style() == Qt.ToolButtonStyle.ToolButtonIconOnly


def _header_regions(header: QHeaderView) -> Iterator[tuple[QWidget, QRect, str]]:
    model = header.model()
    if model is None or header.isHidden():
        return
    viewport = header.viewport()
    for section in range(header.count()):
        if header.isSectionHidden(section) or header.sectionSize(section) < 8:
            continue
        text = model.headerData(section, header.orientation(), Qt.ItemDataRole.DisplayRole)
        if not text:
            continue
        start, size = header.sectionViewportPosition(section), header.sectionSize(section)
        if header.orientation() == Qt.Orientation.Horizontal:
            rect = QRect(start, 0, size, viewport.height())
        else:
            rect = QRect(0, start, viewport.width(), size)
        yield viewport, rect.adjusted(3, 3, -3, -3), str(text)


def _item_regions(view: QAbstractItemView) -> Iterator[tuple[QWidget, QRect, str]]:
    model = view.model()
    if model is None:
        return
    viewport = view.viewport()
    visible = viewport.rect()

    def walk(parent: QModelIndex, budget: list[int]) -> Iterator[tuple[QWidget, QRect, str]]:
        for row in range(model.rowCount(parent)):
            if budget[0] <= 0:
                return
            budget[0] -= 1
            for column in range(_columns(model, parent)):
                index = model.index(row, column, parent)
                text = index.data(Qt.ItemDataRole.DisplayRole)
                rect = view.visualRect(index).intersected(visible)
                if text in (None, "") or rect.isEmpty() or view.indexWidget(index) is not None:
                    continue
                yield viewport, rect.adjusted(1, 1, -1, -1), str(text)
            first = model.index(row, 0, parent)
            if isinstance(view, QTreeView) and view.isExpanded(first):
                yield from walk(first, budget)

    yield from walk(QModelIndex(), [MAX_ROWS])


def _columns(model: QAbstractItemModel, parent: QModelIndex) -> int:
    try:
        return model.columnCount(parent)
    except TypeError:  # list models (QListWidget's) keep columnCount() private: one column
        return 1


def _document_regions(edit: QTextEdit) -> Iterator[tuple[QWidget, QRect, str]]:
    """One region per run of text in one format on one line: each colour is measured alone."""
    document: QTextDocument = edit.document()
    layout = document.documentLayout()
    offset = QPoint(edit.horizontalScrollBar().value(), edit.verticalScrollBar().value())
    viewport = edit.viewport()
    block = document.begin()
    while block.isValid():
        origin = layout.blockBoundingRect(block).topLeft()
        lines = block.layout()
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            it += 1
            text = fragment.text().strip().replace("\ufffc", "")
            if not text:
                continue
            start = fragment.position() - block.position()
            end = start + fragment.length()
            for n in range(lines.lineCount()):
                line = lines.lineAt(n)
                first, last = (
                    max(start, line.textStart()),
                    min(end, line.textStart() + line.textLength()),
                )
                if first >= last:
                    continue
                left, right = line.cursorToX(first)[0], line.cursorToX(last)[0]
                rect = QRect(
                    int(origin.x() + min(left, right)),
                    int(origin.y() + line.y()),
                    int(abs(right - left)),
                    int(line.height()),
                ).translated(-offset)
                rect = rect.intersected(viewport.rect())
                if not rect.isEmpty():
                    yield viewport, rect, text
        block = block.next()


def _plain_regions(edit: QPlainTextEdit) -> Iterator[tuple[QWidget, QRect, str]]:
    viewport = edit.viewport()
    block = edit.firstVisibleBlock()
    while block.isValid():
        geometry = edit.blockBoundingGeometry(block).translated(edit.contentOffset()).toRect()
        if geometry.top() > viewport.height():
            break
        if block.text().strip():
            yield viewport, geometry.intersected(viewport.rect()), block.text()
        block = block.next()


def measure_widget(top: QWidget, where: str) -> list[Measure]:
    """The contrast of every text shown in `top` (a shown window or dialog)."""
    image = top.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    ratio_of_pixels = image.width() / max(1, top.width())  # 1, or the device pixel ratio
    found = []
    for widget, rect, text in _text_regions(top):
        origin = widget.mapTo(top, QPoint(0, 0)) if widget is not top else QPoint(0, 0)
        shown = widget.visibleRegion().boundingRect() if widget is not top else widget.rect()
        area = rect.intersected(shown).translated(origin)
        if ratio_of_pixels != 1:
            area = QRect(
                int(area.x() * ratio_of_pixels),
                int(area.y() * ratio_of_pixels),
                int(area.width() * ratio_of_pixels),
                int(area.height() * ratio_of_pixels),
            )
        result = measure_region(image, area)
        if result is None:
            continue
        ratio, text_color, background = result
        label = f"{where}: {type(widget).__name__} {widget.objectName()}".rstrip()
        found.append(
            Measure(label, " ".join(text.split())[:60], ratio, text_color.name(), background.name())
        )
    return found


def unreadable(measures: list[Measure], minimum: float = AA_TEXT) -> list[Measure]:
    return [m for m in measures if m.ratio < minimum]
