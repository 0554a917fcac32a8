// The dashboard is a plain client of the public GraphQL API: queries over HTTP POST, subscriptions
// over graphql-transport-ws on /graphql. Nothing here is private.
//
// On load it reads where the event log ends, lists the last order events up to there, and then
// subscribes to the order events after that position: the subscription replays whatever was recorded
// in between, so the list has no gap and no event twice. The counts and the chart come from
// `salesReportChanged`, which pushes the report once on subscribing and again after each burst of
// orders; the page never asks for the sales report itself.
(() => {
  const DAYS = 28;
  const RECENT_EVENTS = 20;
  const KEPT_EVENTS = 50;
  const EVENT_FIELDS = "type streamId position recordedAt data";
  const url = new URL("/graphql", window.location.href);
  const socketUrl = new URL(url);
  socketUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  eventfoldToken.bind(document.getElementById("token"));
  document.getElementById("days").textContent = DAYS;
  document.getElementById("recent").textContent = RECENT_EVENTS;

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

  function failed(result) {
    if (!result.errors) return false;
    showError(new Error(result.errors.map((e) => e.message).join("; ")));
    return true;
  }

  // Every read model's position plus its lag is the position of the log's last event.
  async function logHead() {
    const data = await query("{ projections { position lag } }");
    return Math.max(0, ...data.projections.map((status) => status.position + status.lag));
  }

  const RECENT = `query Recent($after: Int!) {
    events(afterPosition: $after, first: 100, filter: { streamTypes: ["Order"] }) {
      edges { node { ${EVENT_FIELDS} } }
      pageInfo { hasNextPage }
    }
  }`;

  // The last order events up to `head`, oldest first. The log is read backwards in windows of
  // positions, each twice as wide as the last while order events are sparse; a window holding more
  // than a page of them is halved, since only its end matters.
  async function recentEvents(head) {
    let found = [];
    let end = head;
    let span = RECENT_EVENTS;
    while (end > 0 && found.length < RECENT_EVENTS) {
      const start = Math.max(0, end - span);
      const page = (await query(RECENT, { after: start })).events;
      const events = page.edges.map((edge) => edge.node);
      const within = events.filter((event) => event.position <= end);
      if (page.pageInfo.hasNextPage && within.length === events.length) {
        span = Math.max(1, Math.floor(span / 2));
        continue;
      }
      found = within.concat(found);
      end = start;
      span *= 2;
    }
    return found.slice(-RECENT_EVENTS);
  }

  function show(event) {
    const list = document.getElementById("events");
    list.querySelector(".empty")?.remove();
    const item = document.createElement("li");
    item.className = event.type;
    item.dataset.streamId = event.streamId;
    item.dataset.position = event.position;
    const total = event.data && event.data.total ? ` total ${event.data.total} ${event.data.currency ?? ""}` : "";
    item.innerHTML = '<span class="type"></span> <span class="text"></span>';
    item.querySelector(".type").textContent = event.type;
    item.querySelector(".text").textContent =
      `#${event.position} ${event.recordedAt.slice(0, 19).replace("T", " ")} order ${event.streamId}${total}`;
    list.prepend(item);
    while (list.children.length > KEPT_EVENTS) list.lastChild.remove();
  }

  const chart = new Chart(document.getElementById("revenue"), {
    type: "bar",
    data: { labels: [], datasets: [{ label: "revenue", data: [], backgroundColor: "#0969da" }] },
    options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
  });

  function showCounts(total) {
    const counts = {
      PLACED: total.ordersPlaced - total.ordersShipped - total.ordersCancelled,
      SHIPPED: total.ordersShipped,
      CANCELLED: total.ordersCancelled,
    };
    for (const [status, count] of Object.entries(counts)) {
      document.getElementById(`status-${status}`).textContent = count;
    }
  }

  function showRevenue(days, report) {
    document.getElementById("currency").textContent = report.currency;
    chart.data.datasets[0].label = `revenue (${report.currency})`;
    chart.data.labels = days.slice(0, -1).map((day) => day.toISOString().slice(5, 10));
    // Days without orders are not in the report: they count as zero.
    const revenue = new Map(report.days.map((sold) => [new Date(sold.day).getTime(), Number(sold.revenue)]));
    chart.data.datasets[0].data = days.slice(0, -1).map((day) => revenue.get(day.getTime()) ?? 0);
    chart.update();
    document.body.dataset.reports = String(Number(document.body.dataset.reports || 0) + 1);
  }

  function dayStarts() {
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    return Array.from({ length: DAYS + 1 }, (_, i) => new Date(today.getTime() - (DAYS - 1 - i) * 86400000));
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
      connected: () => setConnection("open", "live"),
      closed: () => setConnection("closed", "reconnecting…"),
    },
  });

  function subscribe(payload, next) {
    let stopped = false;
    const dispose = client.subscribe(payload, {
      next: (result) => failed(result) || next(result.data),
      error: (error) => showError(error instanceof Error ? error : new Error("a subscription failed")),
      complete: () => stopped || setConnection("closed", "the server ended a subscription"),
    });
    return () => {
      stopped = true;
      dispose();
    };
  }

  // Subscribing again pushes the report at once: after a reconnect the counts are read afresh too.
  subscribe(
    { query: "subscription Counts { salesReportChanged(top: 1) { ordersPlaced ordersShipped ordersCancelled } }" },
    (data) => showCounts(data.salesReportChanged),
  );

  // The chart's window is whole UTC days up to today: at midnight it moves on by a day.
  function watchRevenue() {
    const days = dayStarts();
    const stop = subscribe(
      {
        query: `subscription Revenue($from: DateTime!, $to: DateTime!) {
          salesReportChanged(from: $from, to: $to, top: 1) { currency days { day revenue } }
        }`,
        variables: { from: days[0].toISOString(), to: days[days.length - 1].toISOString() },
      },
      (data) => showRevenue(days, data.salesReportChanged),
    );
    setTimeout(() => {
      stop();
      watchRevenue();
    }, days[days.length - 1].getTime() - Date.now() + 1000);
  }
  watchRevenue();

  async function watchEvents() {
    const head = await logHead();
    const recent = await recentEvents(head);
    recent.forEach(show);
    if (!recent.length) document.querySelector("#events .empty").textContent = "no order events yet…";
    // graphql-ws sends this same payload again when it reconnects: its `afterPosition` follows the
    // events shown, so a new connection replays only what was missed.
    const live = {
      query: `subscription Live($after: Int!) { orderEvents(afterPosition: $after) { ${EVENT_FIELDS} } }`,
      variables: { after: head },
    };
    subscribe(live, (data) => {
      const event = data.orderEvents;
      if (event.position <= live.variables.after) return;
      live.variables.after = event.position;
      show(event);
    });
  }
  watchEvents().catch(showError);
})();
