package jango.bank;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * One bank as the configuration file sets it up. Limits can be changed later through the admin
 * API (they are then kept in the gateway's store and win over this file).
 *
 * @param code            the bank's 3-digit code (004, 088...)
 * @param companyAccount  our account at this bank, which withdrawals are paid from
 * @param tps             most telegrams (transfers and inquiries) per second to this bank; 0 = no limit
 * @param concurrency     most telegrams waiting for their answer at once
 * @param queueCapacity   most withdrawals open at this bank (waiting, sent or being settled); past it new ones get 503
 * @param answerTimeout   how long a telegram waits for its answer before an inquiry settles it
 * @param breaker         the circuit breaker on failures and timeouts of this bank's answers
 */
public record BankConfig(String code, String name, InetSocketAddress address, String companyAccount, int tps, int concurrency,
                         int queueCapacity, Duration answerTimeout, MaintenanceCalendar calendar, Breaker breaker) {

    /**
     * @param windowSize          calls the failure rate is computed over
     * @param minimumCalls        calls before the rate counts at all
     * @param failureRatePercent  failures and timeouts at or above this rate open the breaker
     * @param openFor             how long it stays open before a few trial calls
     */
    public record Breaker(int windowSize, int minimumCalls, int failureRatePercent, Duration openFor, int trialCalls) {
        public static final Breaker DEFAULTS = new Breaker(50, 20, 50, Duration.ofSeconds(5), 5);

        public Breaker {
            check(windowSize >= 1 && windowSize <= 10_000, "breaker.window", windowSize, "1..10000");
            check(minimumCalls >= 1 && minimumCalls <= windowSize, "breaker.minimum-calls", minimumCalls, "1..window");
            check(failureRatePercent >= 1 && failureRatePercent <= 100, "breaker.failure-rate", failureRatePercent, "1..100");
            check(!openFor.isNegative() && openFor.toMillis() >= 1, "breaker.open-ms", openFor.toMillis(), ">= 1");
            check(trialCalls >= 1 && trialCalls <= 1_000, "breaker.trial-calls", trialCalls, "1..1000");
        }
    }

    public static final int MAX_TPS = 100_000;
    public static final int MAX_CONCURRENCY = 10_000;
    public static final int MAX_QUEUE_CAPACITY = 1_000_000;

    public BankConfig {
        check(code != null && code.matches("[0-9]{3}"), "code", code, "3 digits");
        check(companyAccount != null && companyAccount.matches("[0-9-]{1,20}"), "account", companyAccount, "digits and '-', 1..20");
        checkLimits(tps, concurrency, queueCapacity);
        check(answerTimeout.toMillis() >= 10 && answerTimeout.toMillis() <= 600_000, "timeout-ms", answerTimeout.toMillis(), "10..600000");
    }

    public static void checkLimits(int tps, int concurrency, int queueCapacity) {
        check(tps >= 0 && tps <= MAX_TPS, "tps", tps, "0.." + MAX_TPS + ", 0 = no limit");
        check(concurrency >= 1 && concurrency <= MAX_CONCURRENCY, "concurrency", concurrency, "1.." + MAX_CONCURRENCY);
        check(queueCapacity >= 1 && queueCapacity <= MAX_QUEUE_CAPACITY, "queue", queueCapacity, "1.." + MAX_QUEUE_CAPACITY);
    }

    public BankConfig withLimits(int newTps, int newConcurrency, int newQueueCapacity) {
        return new BankConfig(code, name, address, companyAccount, newTps, newConcurrency, newQueueCapacity, answerTimeout, calendar, breaker);
    }

    public BankConfig withCalendar(MaintenanceCalendar newCalendar) {
        return new BankConfig(code, name, address, companyAccount, tps, concurrency, queueCapacity, answerTimeout, newCalendar, breaker);
    }

    static void check(boolean ok, String name, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
        }
    }
}
