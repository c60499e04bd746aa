package jango.cli;

import graphql.GraphqlErrorException;
import graphql.schema.DataFetcher;
import graphql.schema.idl.RuntimeWiring;
import jango.bank.BankGateway;
import jango.bank.http.WithdrawalViews;
import jango.streams.graphql.GraphqlContribution;

import java.util.Map;

/**
 * The bank gateway's withdrawals in the GraphQL endpoint (issue 13: "withdrawals once they exist"),
 * when {@code jango serve --banks} runs one: the same data and cursors as the HTTP routes
 * ({@link WithdrawalViews}). The wiring lives here because the gateway and the channel side know
 * nothing of each other.
 */
final class WithdrawalGraphql implements GraphqlContribution {
    private static final String SCHEMA = """
            extend type Query {
              "A withdrawal (as GET /v1/withdrawals/{id}), or null."
              withdrawal(id: ID!): Withdrawal
            }

            extend type Account {
              "Newest first; limit 1..100; next is the cursor of the following page, as in GET /v1/accounts/{a}/withdrawals."
              withdrawals(limit: Int = 20, cursor: String): WithdrawalPage!
            }

            type WithdrawalPage {
              withdrawals: [Withdrawal!]!
              next: String
            }

            "A withdrawal to a bank account; amounts are decimal strings, times RFC 3339 UTC."
            type Withdrawal {
              id: ID!
              account: String!
              asset: String!
              amount: String!
              bank: String!
              bankAccount: String!
              recipientName: String!
              "REQUESTED, DELAYED, QUEUED, SENT, UNKNOWN, CONFIRMED, REFUSED, COMPLETED or FAILED (docs/banking.md)."
              status: String!
              reason: String
              message: String
              bankTxNo: String!
              "The ledger hold that carries the funds."
              hold: String!
              attempts: Int!
              notBefore: String
              bankDate: String
              createdAt: String!
              updatedAt: String!
            }
            """;

    private final WithdrawalViews views;

    WithdrawalGraphql(BankGateway gateway) {
        this.views = new WithdrawalViews(gateway);
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public void wire(RuntimeWiring.Builder wiring) {
        wiring.type("Query", type -> type.dataFetcher("withdrawal", refusingBadInput(env -> views.withdrawal(env.getArgument("id")))));
        wiring.type("Account", type -> type.dataFetcher("withdrawals", refusingBadInput(env -> {
            Integer limit = env.getArgument("limit");
            String owner = (String) ((Map<?, ?>) env.getSource()).get("id");
            return views.page(owner, limit == null ? 20 : limit, env.getArgument("cursor"));
        })));
    }

    /** Bad input is the same MALFORMED error as the ledger's own fields give. */
    private static DataFetcher<Object> refusingBadInput(DataFetcher<Object> fetcher) {
        return env -> {
            try {
                return fetcher.get(env);
            } catch (IllegalArgumentException e) {
                throw GraphqlErrorException.newErrorException().message(e.getMessage()).extensions(Map.of("code", "MALFORMED")).build();
            }
        };
    }
}
