package jango.streams.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Webhook deliveries on /metrics: delivered, retried and dead counts; pending and dead gauges are registered by {@link Webhooks}. */
final class WebhookMetrics {
    private final Counter delivered;
    private final Counter retried;
    private final Counter dead;
    private final Counter lost;

    WebhookMetrics(MeterRegistry registry) {
        delivered = Counter.builder("jango.webhook.deliveries").tag("result", "delivered").description("webhook attempts answered 2xx").register(registry);
        retried = Counter.builder("jango.webhook.deliveries").tag("result", "retried").description("webhook attempts failed, to be retried").register(registry);
        dead = Counter.builder("jango.webhook.deliveries").tag("result", "dead").description("webhook deliveries given up (DEAD)").register(registry);
        lost = Counter.builder("jango.webhook.feed.holes").description("holes in the change feed the webhooks passed (events there may be missing)").register(registry);
    }

    void delivered() {
        delivered.increment();
    }

    void retried() {
        retried.increment();
    }

    void dead() {
        dead.increment();
    }

    void hole() {
        lost.increment();
    }
}
