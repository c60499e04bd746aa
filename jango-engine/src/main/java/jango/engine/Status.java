package jango.engine;

public enum Status {
    APPLIED,
    REJECTED
}
