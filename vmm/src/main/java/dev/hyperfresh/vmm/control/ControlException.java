package dev.hyperfresh.vmm.control;

/** hfvisor answered a request with an error; the message is its sentence, as sent. */
public class ControlException extends RuntimeException {
    public ControlException(String message) {
        super(message);
    }
}
