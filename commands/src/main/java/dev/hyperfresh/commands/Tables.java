package dev.hyperfresh.commands;

import java.util.List;
import org.springframework.shell.table.BorderStyle;
import org.springframework.shell.table.TableBuilder;
import org.springframework.shell.table.TableModelBuilder;

/** Text tables for the console: a header row, then rows, with light borders. */
final class Tables {
    private static final int WIDTH = 160;

    private Tables() {
    }

    static String of(List<String> header, List<List<String>> rows) {
        TableModelBuilder<String> model = new TableModelBuilder<>();
        model.addRow();
        header.forEach(model::addValue);
        for (List<String> row : rows) {
            model.addRow();
            row.forEach(model::addValue);
        }
        return new TableBuilder(model.build()).addHeaderAndVerticalsBorders(BorderStyle.fancy_light).build()
                .render(WIDTH).stripTrailing();
    }
}
