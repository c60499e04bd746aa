package jango.streams.graphql;

import graphql.schema.idl.RuntimeWiring;

/**
 * Another module's views in the same GraphQL endpoint: its schema text (new types, and
 * {@code extend type Query { ... }} or {@code extend type Account { ... }}) and the fetchers of its
 * fields. Withdrawals (issue 12) plug in here, e.g.
 * {@code extend type Account { withdrawals(limit: Int = 20): [Withdrawal!]! }}.
 */
public interface GraphqlContribution {
    String schema();

    void wire(RuntimeWiring.Builder wiring);
}
