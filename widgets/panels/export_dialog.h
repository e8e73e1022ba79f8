#pragma once

#include "report_export.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;

// Asks how to export: a size preset (16:9 slide 1920 x 1080, 4:3 1024 x 768, A4 landscape, the
// current size), the scale (text and lines that much larger), the theme ("light (for slides)" or
// "as on screen") and whether the conditions block is drawn. Parts are named "sizeBox",
// "scaleBox", "themeBox", "conditionsBox" for tests.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    // `current` is the size of what is exported, offered as the last preset.
    ExportDialog(QSize current, QWidget* parent = nullptr);

    ExportOptions options() const;

private:
    void updateHint();

    QSize m_current;
    QComboBox* m_size;
    QDoubleSpinBox* m_scale;
    QComboBox* m_theme;
    QCheckBox* m_conditions;
    QLabel* m_hint;
};
