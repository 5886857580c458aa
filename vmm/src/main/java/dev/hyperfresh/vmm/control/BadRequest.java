package dev.hyperfresh.vmm.control;

/** A well-framed request the server cannot act on: wrong version, unknown op, a field of the wrong type. */
final class BadRequest extends RuntimeException {
    BadRequest(String message) {
        super(message);
    }
}
