#include "log_slider_entry.h"

#include <QColor>
#include <QGridLayout>
#include <QKeyEvent>
#include <QPalette>

LogSliderEntry::LogSliderEntry(const QString& label, Spec spec, QWidget* parent)
    : QWidget(parent)
    , m_spec(std::move(spec))
    , m_slider(new QSlider(Qt::Horizontal, this))
    , m_entry(new QLineEdit(this))
    , m_error(new QLabel(this)) {
    m_slider->setObjectName(QStringLiteral("slider"));
    m_entry->setObjectName(QStringLiteral("entry"));
    auto* layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* title = new QLabel(label, this);
    title->setBuddy(m_entry);
    layout->addWidget(title, 0, 0);
    layout->addWidget(m_entry, 0, 1);
    layout->addWidget(m_slider, 1, 0, 1, 2);
    layout->addWidget(m_error, 2, 0, 1, 2);
    layout->setColumnStretch(1, 1);
    m_entry->setMaximumWidth(110);
    m_slider->setRange(0, int(m_spec.steps.size()) - 1);
    m_slider->setPageStep(1);
    m_slider->setTickPosition(QSlider::TicksBelow);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #d32f2f"));
    m_error->hide();
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(250);

    connect(m_slider, &QSlider::valueChanged, this, [this](int i) {
        m_entry->setText(m_spec.steps.value(i));
        if (!m_slider->isSliderDown())
            m_debounce.start(); // keyboard or wheel: apply once they rest
    });
    connect(m_slider, &QSlider::sliderReleased, this, &LogSliderEntry::commitSlider);
    connect(&m_debounce, &QTimer::timeout, this, &LogSliderEntry::commitSlider);
    connect(m_entry, &QLineEdit::returnPressed, this, &LogSliderEntry::commitEntry);
    m_entry->installEventFilter(this); // Escape: the last valid value back
    connect(m_entry, &QLineEdit::textEdited, this, [this] {
        markEntry(false);
        m_error->hide();
    });
}

void LogSliderEntry::setValue(const QString& value) {
    m_value = m_spec.canonical ? m_spec.canonical(value) : value;
    m_entry->setText(m_value);
    markEntry(false);
    m_error->hide();
    // The nearest step at or below the value, without emitting.
    const QSignalBlocker block(m_slider);
    const int exact = int(m_spec.steps.indexOf(m_value));
    if (exact >= 0)
        m_slider->setValue(exact);
}

void LogSliderEntry::showError(const QString& reason) {
    markEntry(true);
    m_error->setText(reason);
    m_error->show();
    m_entry->setToolTip(reason);
}

void LogSliderEntry::markEntry(bool refused) {
    // Colours only: a style sheet border replaces the style's frame and its margins, which made the
    // entry, and its row with it, 4 px lower while the reason showed.
    if (!refused) {
        m_entry->setPalette(QPalette()); // no role of its own: the panel's colours again
        m_entry->setToolTip({});
        return;
    }
    QPalette p = m_entry->palette();
    p.setColor(QPalette::Text, QColor(0xd3, 0x2f, 0x2f));
    p.setColor(QPalette::Base, QColor(0xfd, 0xec, 0xec));
    m_entry->setPalette(p);
}

void LogSliderEntry::commitSlider() {
    m_debounce.stop();
    const QString v = m_spec.steps.value(m_slider->value());
    if (v == m_value)
        return;
    m_value = v;
    m_entry->setText(v);
    m_error->hide();
    emit valueChosen(v);
}

void LogSliderEntry::commitEntry() {
    const QString text = m_entry->text().trimmed();
    if (const QString reason = m_spec.validate ? m_spec.validate(text) : QString(); !reason.isEmpty()) {
        showError(reason);
        return;
    }
    setValue(text);
    emit valueChosen(m_value);
}

bool LogSliderEntry::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_entry && event->type() == QEvent::KeyPress &&
        static_cast<QKeyEvent*>(event)->key() == Qt::Key_Escape) {
        setValue(m_value); // the refused text and its reason go
        return true;
    }
    return QWidget::eventFilter(watched, event);
}
