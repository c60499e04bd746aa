package jango.bank;

import jango.bank.link.BankLink;

import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

/**
 * The gateway's settings, built once and passed in: the asset it moves (one currency, KRW by
 * default), its banks, and the bounds of its own work. {@link #load} reads a properties file:
 *
 * <pre>
 * asset=KRW                      # registered in the ledger at start with asset.scale (default 0)
 * bank.004.address=127.0.0.1:9401
 * bank.004.name=KB
 * bank.004.account=1000040000001 # our account at the bank
 * bank.004.tps=50                # 0 = no limit
 * bank.004.concurrency=16
 * bank.004.queue=10000
 * bank.004.timeout-ms=3000
 * bank.004.zone=Asia/Seoul
 * bank.004.daily=23:30-00:30     # comma-separated
 * bank.004.weekly=SUN 02:00-06:00
 * bank.004.breaker.window=50, .minimum-calls=20, .failure-rate=50, .open-ms=5000, .trial-calls=5
 * </pre>
 */
public record GatewayConfig(String asset, int assetScale, List<BankConfig> banks, int lanes, int maxAcceptsInFlight,
                            Duration retryMin, Duration retryMax, BankLink.Settings link, GatewayClock clock) {

    public GatewayConfig {
        banks = List.copyOf(banks);
        BankConfig.check(asset != null && asset.matches("[A-Z0-9]{1,16}"), "asset", asset, "[A-Z0-9]{1,16}");
        BankConfig.check(assetScale >= 0 && assetScale <= 18, "asset.scale", assetScale, "0..18");
        BankConfig.check(lanes >= 1 && lanes <= 256, "lanes", lanes, "1..256");
        BankConfig.check(maxAcceptsInFlight >= 1, "max-accepts-in-flight", maxAcceptsInFlight, ">= 1");
        BankConfig.check(!retryMin.isNegative() && retryMin.compareTo(retryMax) <= 0, "retry-min-ms", retryMin.toMillis(), "0..retry-max-ms");
        java.util.Set<String> codes = new java.util.HashSet<>();
        for (BankConfig bank : banks) {
            BankConfig.check(codes.add(bank.code()), "bank", bank.code(), "each bank once");
        }
    }

    public static GatewayConfig of(List<BankConfig> banks) {
        return new GatewayConfig("KRW", 0, banks, 8, 10_000, Duration.ofMillis(200), Duration.ofSeconds(10), BankLink.Settings.DEFAULTS,
                GatewayClock.SYSTEM);
    }

    public GatewayConfig withClock(GatewayClock newClock) {
        return new GatewayConfig(asset, assetScale, banks, lanes, maxAcceptsInFlight, retryMin, retryMax, link, newClock);
    }

    public GatewayConfig withRetries(Duration min, Duration max) {
        return new GatewayConfig(asset, assetScale, banks, lanes, maxAcceptsInFlight, min, max, link, clock);
    }

    public GatewayConfig withLanes(int newLanes) {
        return new GatewayConfig(asset, assetScale, banks, newLanes, maxAcceptsInFlight, retryMin, retryMax, link, clock);
    }

    public GatewayConfig withLink(BankLink.Settings newLink) {
        return new GatewayConfig(asset, assetScale, banks, lanes, maxAcceptsInFlight, retryMin, retryMax, newLink, clock);
    }

    public BankConfig bank(String code) {
        for (BankConfig bank : banks) {
            if (bank.code().equals(code)) {
                return bank;
            }
        }
        return null;
    }

    /** Reads a properties file (see the class comment); every problem names the key. */
    public static GatewayConfig load(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        }
        try {
            return parse(properties);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public static GatewayConfig parse(Properties p) {
        TreeSet<String> codes = new TreeSet<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("bank.")) {
                String[] parts = key.split("\\.", 3);
                if (parts.length < 3) {
                    throw new IllegalArgumentException(key + ": expected bank.CODE.setting");
                }
                codes.add(parts[1]);
            } else if (!List.of("asset", "asset.scale", "lanes", "retry-min-ms", "retry-max-ms").contains(key)) {
                throw new IllegalArgumentException(key + ": unknown setting");
            }
        }
        if (codes.isEmpty()) {
            throw new IllegalArgumentException("no banks (expected: bank.CODE.address=HOST:PORT, ...)");
        }
        List<BankConfig> banks = new ArrayList<>();
        for (String code : codes) {
            banks.add(bank(p, code));
        }
        return new GatewayConfig(p.getProperty("asset", "KRW"), integer(p, "asset.scale", 0), banks, integer(p, "lanes", 8), 10_000,
                Duration.ofMillis(integer(p, "retry-min-ms", 200)), Duration.ofMillis(integer(p, "retry-max-ms", 10_000)),
                BankLink.Settings.DEFAULTS, GatewayClock.SYSTEM);
    }

    private static BankConfig bank(Properties p, String code) {
        String prefix = "bank." + code + ".";
        List<String> known = List.of("address", "name", "account", "tps", "concurrency", "queue", "timeout-ms", "zone", "daily", "weekly",
                "breaker.window", "breaker.minimum-calls", "breaker.failure-rate", "breaker.open-ms", "breaker.trial-calls");
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith(prefix) && !known.contains(key.substring(prefix.length()))) {
                throw new IllegalArgumentException(key + ": unknown setting (expected one of " + known + ")");
            }
        }
        String address = p.getProperty(prefix + "address");
        if (address == null || !address.matches("[^:]+:[0-9]{1,5}")) {
            throw new IllegalArgumentException(prefix + "address: " + address + " (expected: HOST:PORT)");
        }
        String[] hostPort = address.split(":");
        ZoneId zone;
        try {
            zone = ZoneId.of(p.getProperty(prefix + "zone", "Asia/Seoul"));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(prefix + "zone: " + e.getMessage());
        }
        List<MaintenanceCalendar.Daily> daily = new ArrayList<>();
        for (String window : list(p.getProperty(prefix + "daily"))) {
            daily.add(MaintenanceCalendar.parseDaily(window));
        }
        List<MaintenanceCalendar.Weekly> weekly = new ArrayList<>();
        for (String window : list(p.getProperty(prefix + "weekly"))) {
            weekly.add(MaintenanceCalendar.parseWeekly(window));
        }
        BankConfig.Breaker breaker = new BankConfig.Breaker(integer(p, prefix + "breaker.window", 50),
                integer(p, prefix + "breaker.minimum-calls", 20), integer(p, prefix + "breaker.failure-rate", 50),
                Duration.ofMillis(integer(p, prefix + "breaker.open-ms", 5_000)), integer(p, prefix + "breaker.trial-calls", 5));
        try {
            return new BankConfig(code, p.getProperty(prefix + "name", code),
                    InetSocketAddress.createUnresolved(hostPort[0], Integer.parseInt(hostPort[1])),
                    p.getProperty(prefix + "account", "1000" + code + "0000001"), integer(p, prefix + "tps", 0),
                    integer(p, prefix + "concurrency", 64), integer(p, prefix + "queue", 10_000),
                    Duration.ofMillis(integer(p, prefix + "timeout-ms", 3_000)),
                    new MaintenanceCalendar(zone, daily, weekly, List.of()), breaker);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(prefix + e.getMessage(), e);
        }
    }

    private static List<String> list(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return List.of(value.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static int integer(Properties p, String key, int otherwise) {
        String value = p.getProperty(key);
        if (value == null) {
            return otherwise;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": " + value + " (expected: an integer)");
        }
    }
}
