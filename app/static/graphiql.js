// GraphiQL against this server: queries and mutations over HTTP POST, subscriptions over
// graphql-transport-ws on the same /graphql, with the optional bearer token on both.
(() => {
  const url = new URL("/graphql", window.location.href);
  const subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";

  eventfoldToken.bind(document.getElementById("token"));
  const baseFetcher = GraphiQL.createFetcher({
    url: url.toString(),
    subscriptionUrl: subscriptionUrl.toString(),
    headers: eventfoldToken.headers(),
    wsConnectionParams: eventfoldToken.connectionParams(),
  });
  // GraphiQL hands the fetcher the document it parsed last, which lags behind the editor for a
  // moment after an edit; the fetcher picks WebSocket or HTTP from it, so a subscription run right
  // after typing would go over HTTP. Parsing what is actually sent decides it from the real thing.
  function fetcher(params, options) {
    let documentAST = options && options.documentAST;
    try {
      documentAST = GraphiQL.GraphQL.parse(params.query);
    } catch {
      // Unparseable: the server answers with the syntax error.
    }
    return baseFetcher(params, { ...options, documentAST });
  }

  // The URL holds what is being edited (/graphql?query=…&variables=…&operationName=…), so that it
  // can be shared: a link like that opens here with them filled in. They are read and written as
  // URL parameters only, never put into the page's HTML.
  const PARAMETERS = ["query", "variables", "operationName"];
  const opened = new URLSearchParams(window.location.search);
  function share(name, value) {
    const parameters = new URLSearchParams(window.location.search);
    if (value) parameters.set(name, value);
    else parameters.delete(name);
    const search = parameters.toString();
    window.history.replaceState(null, "", search ? `${window.location.pathname}?${search}` : window.location.pathname);
  }
  function shareTab(tabs) {
    const tab = tabs.tabs[tabs.activeTabIndex];
    if (!tab) return;
    share("query", tab.query);
    share("variables", tab.variables);
    share("operationName", tab.operationName);
  }

  const defaultQuery = `# eventfold: queries and mutations run over HTTP, subscriptions over WebSocket.
# Try one, then place an order from another tab:
#
#   subscription { orderEvents { type streamId position data } }

{
  orders(first: 10) {
    edges { node { id status total placedAt customer { name } } }
  }
}
`;
  const given = Object.fromEntries(PARAMETERS.filter((name) => opened.has(name)).map((name) => [name, opened.get(name)]));
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery,
      ...given,
      onEditQuery: (query) => share("query", query),
      onEditVariables: (variables) => share("variables", variables),
      onEditOperationName: (operationName) => share("operationName", operationName),
      onTabChange: shareTab,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
    }),
  );
})();
