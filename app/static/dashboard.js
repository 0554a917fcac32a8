// The dashboard is a plain client of the public GraphQL API: queries over HTTP POST, the
// `orderEvents` subscription over graphql-transport-ws on /graphql. Nothing here is private.
(() => {
  const DAYS = 28;
  const KEPT_EVENTS = 50;
  const url = new URL("/graphql", window.location.href);
  const socketUrl = new URL(url);
  socketUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  eventfoldToken.bind(document.getElementById("token"));
  document.getElementById("days").textContent = DAYS;

  async function query(document, variables = {}) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...eventfoldToken.headers() },
      body: JSON.stringify({ query: document, variables }),
    });
    const body = await response.json();
    if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
    return body.data;
  }

  function showError(error) {
    const shown = document.getElementById("error");
    shown.hidden = false;
    shown.textContent = String(error.message || error);
  }

  function dayStarts() {
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    return Array.from({ length: DAYS + 1 }, (_, i) => new Date(today.getTime() - (DAYS - 1 - i) * 86400000));
  }

  // One request: the all-time counts, and the window's revenue day by day in the server's currency.
  function reportDocument(days) {
    const span = `from: "${days[0].toISOString()}", to: "${days[days.length - 1].toISOString()}"`;
    return `{ total: salesReport(top: 1) { ordersPlaced ordersShipped ordersCancelled }
      window: salesReport(${span}, top: 1) { currency days { day revenue } } }`;
  }

  const chart = new Chart(document.getElementById("revenue"), {
    type: "bar",
    data: { labels: [], datasets: [{ label: "revenue", data: [], backgroundColor: "#0969da" }] },
    options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
  });

  async function refresh() {
    const days = dayStarts();
    const data = await query(reportDocument(days));
    const total = data.total;
    const counts = {
      PLACED: total.ordersPlaced - total.ordersShipped - total.ordersCancelled,
      SHIPPED: total.ordersShipped,
      CANCELLED: total.ordersCancelled,
    };
    for (const [status, count] of Object.entries(counts)) {
      document.getElementById(`status-${status}`).textContent = count;
    }
    document.getElementById("currency").textContent = data.window.currency;
    chart.data.datasets[0].label = `revenue (${data.window.currency})`;
    chart.data.labels = days.slice(0, -1).map((day) => day.toISOString().slice(5, 10));
    // Days without orders are not in the report: they count as zero.
    const revenue = new Map(data.window.days.map((sold) => [new Date(sold.day).getTime(), Number(sold.revenue)]));
    chart.data.datasets[0].data = days.slice(0, -1).map((day) => revenue.get(day.getTime()) ?? 0);
    chart.update();
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  }

  // Events come in bursts; the read models need a moment to apply them, so refresh once a burst settles.
  let pending = null;
  function refreshSoon() {
    clearTimeout(pending);
    pending = setTimeout(() => refresh().catch(showError), 300);
  }

  function show(event) {
    const list = document.getElementById("events");
    list.querySelector(".empty")?.remove();
    const item = document.createElement("li");
    item.className = event.type;
    item.dataset.streamId = event.streamId;
    const total = event.data && event.data.total ? ` total ${event.data.total} ${event.data.currency ?? ""}` : "";
    item.innerHTML = '<span class="type"></span> <span class="text"></span>';
    item.querySelector(".type").textContent = event.type;
    item.querySelector(".text").textContent =
      `#${event.position} ${event.recordedAt.slice(0, 19).replace("T", " ")} order ${event.streamId}${total}`;
    list.prepend(item);
    while (list.children.length > KEPT_EVENTS) list.lastChild.remove();
  }

  const connection = document.getElementById("connection");
  function setConnection(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
  }

  const client = graphqlWs.createClient({
    url: socketUrl.toString(),
    connectionParams: eventfoldToken.connectionParams,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    on: {
      // After a reconnect the counts and the chart are read afresh; the list shows events from then on.
      connected: () => {
        setConnection("open", "live");
        refreshSoon();
      },
      closed: () => setConnection("closed", "reconnecting…"),
    },
  });

  client.subscribe(
    { query: "subscription { orderEvents { type streamId position recordedAt data } }" },
    {
      next: (result) => {
        if (result.errors) return showError(new Error(result.errors.map((e) => e.message).join("; ")));
        show(result.data.orderEvents);
        refreshSoon();
      },
      error: (error) => showError(error instanceof Error ? error : new Error("the subscription failed")),
      complete: () => setConnection("closed", "the server ended the subscription"),
    },
  );
  refresh().catch(showError);
})();
