//! The case list: filters and sorting from the query, and the in-memory text search.

use super::*;

/// Case list filters as the filter form and the paging links send them: the list's
/// address is the view, so that a filtered view can be bookmarked. Everything is text, so
/// that an empty choice ("any status") is not a parse error; words the list does not
/// know are dropped.
#[derive(Deserialize, Default, Clone)]
pub(in crate::desk) struct ListParams {
    status: Option<String>,
    assignee: Option<String>,
    category: Option<String>,
    urgent: Option<String>,
    /// `open` or `closed`.
    state: Option<String>,
    /// Assigned to the investigator at this desk.
    mine: Option<String>,
    /// The reporter waits for an answer.
    waiting: Option<String>,
    overdue: Option<String>,
    label: Option<String>,
    /// `triage`, `waiting` or `activity`.
    sort: Option<String>,
    /// Search in the decrypted text (see `search`).
    q: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// A checkbox or flag in the address: `1`, `on` (what a browser sends) or `true`.
pub(super) fn flag(value: &Option<String>) -> Option<String> {
    matches!(value.as_deref(), Some("1" | "on" | "true")).then(|| "1".to_owned())
}

pub(super) fn known(value: &Option<String>, ok: impl Fn(&str) -> bool) -> Option<String> {
    value.clone().filter(|v| ok(v))
}

impl ListParams {
    /// The filters and order as the list shows them, with unknown words dropped: what the
    /// filter form is filled from and what the paging links carry.
    pub(in crate::desk) fn normalised(&self) -> ListParams {
        ListParams {
            status: known(&self.status, |s| Status::WORDS.contains(&s)),
            assignee: known(&self.assignee, is_valid_investigator_name),
            category: known(&self.category, |c| Category::parse(c).is_some()),
            urgent: flag(&self.urgent),
            state: known(&self.state, |s| matches!(s, "open" | "closed")),
            mine: flag(&self.mine),
            waiting: flag(&self.waiting),
            overdue: flag(&self.overdue),
            label: known(&self.label, |l| Label::parse(l).is_some()),
            sort: known(&self.sort, |s| matches!(s, "waiting" | "activity")),
            q: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_owned),
            page: None,
            per_page: self
                .per_page()
                .filter(|n| *n != DEFAULT_PER_PAGE)
                .map(|n| n.to_string()),
        }
    }

    pub(in crate::desk) fn per_page(&self) -> Option<u32> {
        let n = self.per_page.as_deref()?.parse::<u32>().ok()?;
        Some(n.clamp(1, MAX_PER_PAGE))
    }

    /// The page asked for, counted from 1 as the desk's links do.
    pub(in crate::desk) fn page(&self) -> usize {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1)
    }

    /// The query string of this view (normalised) for links, with `page` if given.
    pub(in crate::desk) fn to_query_string(&self, page: Option<usize>) -> String {
        let n = self.normalised();
        let fields = [
            ("q", n.q),
            ("status", n.status),
            ("category", n.category),
            ("state", n.state),
            ("urgent", n.urgent),
            ("mine", n.mine),
            ("assignee", n.assignee),
            ("waiting", n.waiting),
            ("overdue", n.overdue),
            ("label", n.label),
            ("sort", n.sort),
            ("per_page", n.per_page),
            ("page", page.map(|p| p.to_string())),
        ];
        let set: Vec<(&str, String)> = fields
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, v)))
            .collect();
        serde_urlencoded::to_string(set).unwrap_or_default()
    }

    /// What the server is asked for; `me` stands in for "assigned to me".
    pub(in crate::desk) fn query(&self, me: &str) -> CaseListQuery {
        let n = self.normalised();
        CaseListQuery {
            status: n.status,
            assignee: if n.mine.is_some() {
                Some(me.to_owned())
            } else {
                n.assignee
            },
            category: n.category,
            urgent: n.urgent,
            state: n.state,
            waiting: n.waiting,
            overdue: n.overdue,
            label: n.label,
            sort: n.sort,
            // The desk's links count pages from 1, the API from 0.
            page: Some(self.page() - 1),
            per_page: Some(self.per_page().unwrap_or(DEFAULT_PER_PAGE) as usize),
        }
    }

    pub(in crate::desk) fn get(&self, name: &str) -> Option<&str> {
        match name {
            "status" => self.status.as_deref(),
            "assignee" => self.assignee.as_deref(),
            "category" => self.category.as_deref(),
            "urgent" => self.urgent.as_deref(),
            "state" => self.state.as_deref(),
            "mine" => self.mine.as_deref(),
            "waiting" => self.waiting.as_deref(),
            "overdue" => self.overdue.as_deref(),
            "label" => self.label.as_deref(),
            "sort" => self.sort.as_deref(),
            "q" => self.q.as_deref(),
            _ => None,
        }
    }
}

pub(in crate::desk) async fn case_list(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, DeskError> {
    blocking(&desk, move |desk| {
        desk.check_audit()?;
        let query = params.query(&desk.session.name);
        let list = match params.normalised().q.as_deref().and_then(TextQuery::parse) {
            None => {
                let list = desk.session.cases(&query)?;
                refresh_texts(desk, &list.cases)?;
                list
            }
            Some(search) => search_cases(desk, &query, &search)?,
        };
        let previews: Vec<Option<String>> = list
            .cases
            .iter()
            .map(|c| desk.texts.preview(&c.id))
            .collect();
        let investigators = desk.session.investigators()?;
        let ctx = views::case_list(lang, &list, previews, &investigators, &params);
        Ok(Html(desk.pages.render("cases.html", lang, ctx)?))
    })
    .await
}

/// Brings the desk's copy of the text of `cases` up to date: fetches, without opening
/// them, the threads of those it has not read or that have new entries, and decrypts them
/// here.
pub(super) fn refresh_texts(desk: &Desk, cases: &[CaseSummary]) -> Result<(), DeskError> {
    let stale: Vec<String> = cases
        .iter()
        .filter(|c| desk.texts.is_stale(&c.id, c.entries))
        .map(|c| c.id.clone())
        .collect();
    for ids in stale.chunks(MAX_THREADS) {
        for case in desk.session.threads(ids.to_vec())? {
            let text = match crypto::case_key(&case.wrap, &desk.identity) {
                Ok(key) => {
                    let opened = crypto::open_case(&case.thread, &[], &key, &desk.identity);
                    CaseText::new(case.entries, &opened.thread)
                }
                // Remembered as empty, so that a case this key cannot open is not
                // fetched again on every page; the case page says why it cannot be read.
                Err(_) => CaseText::new(case.entries, &[]),
            };
            desk.texts.insert(case.id, text);
        }
    }
    Ok(())
}

/// The list filtered by the server, then searched here in the decrypted text, and paged
/// here: the server cannot search what it cannot read.
pub(super) fn search_cases(
    desk: &Desk,
    query: &CaseListQuery,
    search: &TextQuery,
) -> Result<CaseList, DeskError> {
    let mut all = Vec::new();
    let mut ask = CaseListQuery {
        page: Some(0),
        per_page: Some(MAX_PER_PAGE as usize),
        ..query.clone()
    };
    loop {
        let list = desk.session.cases(&ask)?;
        let (got, total, page) = (list.cases.len(), list.total, list.page);
        all.extend(list.cases);
        if got == 0 || all.len() >= total {
            break;
        }
        ask.page = Some(page + 1);
    }
    refresh_texts(desk, &all)?;
    let hits: Vec<CaseSummary> = match search.reference() {
        Some(reference) => all
            .into_iter()
            .filter(|c| c.reference == reference)
            .collect(),
        None => {
            let found: std::collections::HashSet<String> = desk
                .texts
                .search(search, all.iter().map(|c| c.id.as_str()))
                .into_iter()
                .map(str::to_owned)
                .collect();
            all.into_iter().filter(|c| found.contains(&c.id)).collect()
        }
    };
    let per_page = query.per_page.unwrap_or(DEFAULT_PER_PAGE as usize).max(1);
    let total = hits.len();
    let last = total.div_ceil(per_page).max(1) - 1;
    let page = query.page.unwrap_or(0).min(last);
    Ok(CaseList {
        total,
        page,
        per_page,
        cases: hits
            .into_iter()
            .skip(page * per_page)
            .take(per_page)
            .collect(),
    })
}
