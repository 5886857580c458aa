package dev.hyperfresh.commands;

import org.springframework.core.convert.converter.Converter;
import org.springframework.stereotype.Component;

/**
 * An option that takes several words ({@code launch --vm SPEC...}) gets one element per word. Spring's default
 * conversion of a lone word splits it at its commas, which made {@code --vm name=web,mem=512M,cpus=2} three specs
 * of one key each (and "two VMs are named vm0"); a word's commas belong to it.
 */
@Component
class WholeWords implements Converter<String, String[]> {
    @Override
    public String[] convert(String word) {
        return new String[] {word};
    }
}
