#include "export_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>

ExportDialog::ExportDialog(QSize current, QWidget* parent)
    : QDialog(parent)
    , m_current(current)
    , m_size(new QComboBox)
    , m_scale(new QDoubleSpinBox)
    , m_theme(new QComboBox)
    , m_conditions(new QCheckBox(tr("Conditions block (engine, transport, peer, rate, …)")))
    , m_hint(new QLabel) {
    setWindowTitle(tr("Export"));
    m_size->setObjectName(QStringLiteral("sizeBox"));
    m_scale->setObjectName(QStringLiteral("scaleBox"));
    m_theme->setObjectName(QStringLiteral("themeBox"));
    m_conditions->setObjectName(QStringLiteral("conditionsBox"));
    m_size->addItem(tr("16:9 slide, 1920 × 1080"), QSize(1920, 1080));
    m_size->addItem(tr("4:3 slide, 1024 × 768"), QSize(1024, 768));
    m_size->addItem(tr("A4 landscape"), QSize(1123, 794)); // 297 x 210 mm at 96 pixels an inch
    m_size->addItem(tr("Current size, %1 × %2").arg(current.width()).arg(current.height()), current);
    m_scale->setRange(0.5, 4);
    m_scale->setSingleStep(0.25);
    m_scale->setDecimals(2);
    m_scale->setValue(1.5);
    m_scale->setToolTip(tr("Text and lines this much larger; the picture keeps its size"));
    m_theme->addItem(tr("light (for slides)"));
    m_theme->addItem(tr("as on screen"));
    m_conditions->setChecked(true);
    m_hint->setWordWrap(true);
    connect(m_size, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_scale->setValue(index == 3 ? 1.0 : index == 0 ? 1.5 : 1.25); // the current size: as on screen
    });
    connect(m_scale, &QDoubleSpinBox::valueChanged, this, &ExportDialog::updateHint);
    connect(m_size, &QComboBox::currentIndexChanged, this, &ExportDialog::updateHint);

    auto* form = new QFormLayout(this);
    form->addRow(tr("&Size:"), m_size);
    form->addRow(tr("S&cale:"), m_scale);
    form->addRow(tr("&Theme:"), m_theme);
    form->addRow(m_conditions);
    form->addRow(m_hint);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
    updateHint();
}

ExportOptions ExportDialog::options() const {
    ExportOptions o;
    o.size = m_size->currentData().toSize();
    o.scale = m_scale->value();
    o.light = m_theme->currentIndex() == 0;
    o.conditions = m_conditions->isChecked();
    return o;
}

void ExportDialog::updateHint() {
    const QSize s = m_size->currentData().toSize();
    const double k = m_scale->value();
    m_hint->setText(tr("The plots are laid out as in a %1 × %2 window and drawn %3× larger.")
                        .arg(qRound(s.width() / k))
                        .arg(qRound(s.height() / k))
                        .arg(k));
}
