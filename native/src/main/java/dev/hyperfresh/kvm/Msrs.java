package dev.hyperfresh.kvm;

import java.util.Arrays;

/** A set of model-specific registers: parallel arrays of indices and values (struct kvm_msrs entries). */
public record Msrs(int[] indices, long[] values) {
    public Msrs {
        if (indices.length != values.length) {
            throw new IllegalArgumentException(indices.length + " MSR indices but " + values.length + " values");
        }
        indices = indices.clone();
        values = values.clone();
    }

    public int count() {
        return indices.length;
    }

    /** The value of MSR {@code index}, or throws if it is not in this set. */
    public long value(int index) {
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] == index) {
                return values[i];
            }
        }
        throw new IllegalArgumentException("MSR 0x" + Integer.toHexString(index) + " not in this set");
    }

    /** This set with MSR {@code index} set to {@code value}; throws if it is not in this set. */
    public Msrs with(int index, long value) {
        long[] v = values.clone();
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] == index) {
                v[i] = value;
                return new Msrs(indices, v);
            }
        }
        throw new IllegalArgumentException("MSR 0x" + Integer.toHexString(index) + " not in this set");
    }

    public boolean contains(int index) {
        return Arrays.stream(indices).anyMatch(i -> i == index);
    }

    @Override
    public int[] indices() {
        return indices.clone();
    }

    @Override
    public long[] values() {
        return values.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Msrs m && Arrays.equals(indices, m.indices) && Arrays.equals(values, m.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(indices) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Msrs[");
        for (int i = 0; i < indices.length; i++) {
            sb.append(i == 0 ? "" : " ").append(Integer.toHexString(indices[i])).append('=')
                    .append(Long.toHexString(values[i]));
        }
        return sb.append(']').toString();
    }
}
