#!/usr/bin/env python3
"""Write BZPEER's bundled sample dataset in the OpenAlex snapshot layout.

    python works/sample_data/generate.py

Pure stdlib, deterministic (fixed seed, sorted keys, gzip mtime=0): every run
writes the same bytes to works/sample_data/snapshot/. The reference researcher
Bingxuan Wang and her four arXiv preprints are real; every other person,
institution, venue and work is invented. The script asserts the properties the
app relies on (see README.md) and fails loudly if one is violated.
"""

import gzip
import json
import random
import shutil
from collections import Counter, defaultdict
from datetime import date, timedelta
from fractions import Fraction
from itertools import product
from pathlib import Path

OUT = Path(__file__).resolve().parent / "snapshot"
REFERENCE = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "profile-page.txt"
)  # cross-checked when present
OA, API = "https://openalex.org/", "https://api.openalex.org/"
PART1, PART2 = "2026-11-01", "2026-11-02"
UPDATED = {PART1: "2026-11-01T00:00:00.000000", PART2: "2026-11-02T00:00:00.000000"}
rng = random.Random(20261101)

# --- the reference researcher and her four works (abstracts verbatim) --------
BW = OA + "A5100000001"
ABSTRACT_ENGRAM = (
    "While Mixture-of-Experts (MoE) scales capacity via conditional computation, Transformers lack a "
    "native primitive for knowledge lookup, forcing them to inefficiently simulate retrieval through "
    "computation. To address this, we introduce conditional memory as a complementary sparsity axis, "
    "instantiated via Engram, a module that modernizes classic $N$-gram embedding for O(1) lookup. By "
    "formulating the Sparsity Allocation problem, we uncover a U-shaped scaling law that optimizes the "
    "trade-off between neural computation (MoE) and static memory (Engram). Guided by this law, we scale "
    "Engram to 27B parameters, achieving superior performance over a strictly iso-parameter and "
    "iso-FLOPs MoE baseline. Most notably, while the memory module is expected to aid knowledge "
    "retrieval (e.g., MMLU +3.4; CMMLU +4.0), we observe even larger gains in general reasoning (e.g., "
    "BBH +5.0; ARC-Challenge +3.7) and code/math domains~(HumanEval +3.0; MATH +2.4). Mechanistic "
    "analyses reveal that Engram relieves the backbone's early layers from static reconstruction, "
    "effectively deepening the network for complex reasoning. Furthermore, by delegating local "
    "dependencies to lookups, it frees up attention capacity for global context, substantially boosting "
    "long-context retrieval (e.g., Multi-Query NIAH: 84.2 to 97.0). Finally, Engram establishes "
    "infrastructure-aware efficiency: its deterministic addressing enables runtime prefetching from host "
    "memory, incurring negligible overhead. We envision conditional memory as an indispensable modeling "
    "primitive for next-generation sparse models."
)
ABSTRACT_R1 = (
    "General reasoning represents a long-standing and formidable challenge in artificial intelligence. "
    "Recent breakthroughs, exemplified by large language models (LLMs) and chain-of-thought prompting, "
    "have achieved considerable success on foundational reasoning tasks. However, this success is "
    "heavily contingent upon extensive human-annotated demonstrations, and models' capabilities are "
    "still insufficient for more complex problems. Here we show that the reasoning abilities of LLMs can "
    "be incentivized through pure reinforcement learning (RL), obviating the need for human-labeled "
    "reasoning trajectories. The proposed RL framework facilitates the emergent development of advanced "
    "reasoning patterns, such as self-reflection, verification, and dynamic strategy adaptation. "
    "Consequently, the trained model achieves superior performance on verifiable tasks such as "
    "mathematics, coding competitions, and STEM fields, surpassing its counterparts trained via "
    "conventional supervised learning on human demonstrations. Moreover, the emergent reasoning patterns "
    "exhibited by these large-scale models can be systematically harnessed to guide and enhance the "
    "reasoning capabilities of smaller models."
)
ABSTRACT_LLM = (
    "The rapid development of open-source large language models (LLMs) has been truly remarkable. "
    "However, the scaling law described in previous literature presents varying conclusions, which casts "
    "a dark cloud over scaling LLMs. We delve into the study of scaling laws and present our distinctive "
    "findings that facilitate scaling of large scale models in two commonly used open-source "
    "configurations, 7B and 67B. Guided by the scaling laws, we introduce DeepSeek LLM, a project "
    "dedicated to advancing open-source language models with a long-term perspective. To support the "
    "pre-training phase, we have developed a dataset that currently consists of 2 trillion tokens and is "
    "continuously expanding. We further conduct supervised fine-tuning (SFT) and Direct Preference "
    "Optimization (DPO) on DeepSeek LLM Base models, resulting in the creation of DeepSeek Chat models. "
    "Our evaluation results demonstrate that DeepSeek LLM 67B surpasses LLaMA-2 70B on various "
    "benchmarks, particularly in the domains of code, mathematics, and reasoning. Furthermore, "
    "open-ended evaluations reveal that DeepSeek LLM 67B Chat exhibits superior performance compared to "
    "GPT-3.5."
)
ABSTRACT_DFA = (
    "Knowledge distillation has become increasingly important in model compression. It boosts the "
    "performance of a miniaturized student network with the supervision of the output distribution and "
    "feature maps from a sophisticated teacher network. Some recent works introduce multi-teacher "
    "distillation to provide more supervision to the student network. However, the effectiveness of "
    "multi-teacher distillation methods are accompanied by costly computation resources. To tackle with "
    "both the efficiency and the effectiveness of knowledge distillation, we introduce the feature "
    "aggregation to imitate the multi-teacher distillation in the single-teacher distillation framework "
    "by extracting informative supervision from multiple teacher feature maps. Specifically, we "
    "introduce DFA, a two-stage Differentiable Feature Aggregation search method that motivated by DARTS "
    "in neural architecture search, to efficiently find the aggregations. In the first stage, DFA "
    "formulates the searching problem as a bi-level optimization and leverages a novel bridge loss, "
    "which consists of a student-to-teacher path and a teacher-to-student path, to find appropriate "
    "feature aggregations. The two paths act as two players against each other, trying to optimize the "
    "unified architecture parameters to the opposite directions while guaranteeing both expressivity and "
    "learnability of the feature aggregation simultaneously. In the second stage, DFA performs knowledge "
    "distillation with the derived feature aggregation. Experimental results show that DFA outperforms "
    "existing methods on CIFAR-100 and CINIC-10 datasets under various teacher-student settings, "
    "verifying the effectiveness and robustness of the design."
)
# arXiv id, publication_date, title, team size, her index in the byline, topics, cited_by_count, abstract
BW_WORKS = [
    (
        "2601.07372",
        "2026-01-12",
        "Conditional Memory via Scalable Lookup: A New Axis of Sparsity for Large Language Models",
        12,
        5,
        ["T10181", "T10320"],
        9,
        ABSTRACT_ENGRAM,
    ),
    (
        "2501.12948",
        "2026-01-04",
        "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement Learning",
        60,
        7,
        ["T10181", "T10028"],
        3120,
        ABSTRACT_R1,
    ),
    (
        "2401.02954",
        "2024-01-05",
        "DeepSeek LLM: Scaling Open-Source Language Models with Longtermism",
        30,
        3,
        ["T10181", "T10028"],
        612,
        ABSTRACT_LLM,
    ),
    (
        "2007.09292",
        "2020-07-18",
        "Differentiable Feature Aggregation Search for Knowledge Distillation",
        5,
        2,
        ["T11307", "T10320"],
        38,
        ABSTRACT_DFA,
    ),
]

# --- topics: id -> (name, (subfield, field, domain), phrases for titles) -----
AI = (
    ("1702", "Artificial Intelligence"),
    ("17", "Computer Science"),
    ("3", "Physical Sciences"),
)
IS = (
    ("1710", "Information Systems"),
    ("17", "Computer Science"),
    ("3", "Physical Sciences"),
)
CV = (
    ("1707", "Computer Vision and Pattern Recognition"),
    ("17", "Computer Science"),
    ("3", "Physical Sciences"),
)
NET = (
    ("1705", "Computer Networks and Communications"),
    ("17", "Computer Science"),
    ("3", "Physical Sciences"),
)
LIS = (
    ("3309", "Library and Information Sciences"),
    ("33", "Social Sciences"),
    ("2", "Social Sciences"),
)
STAT = (
    ("1804", "Statistics, Probability and Uncertainty"),
    ("18", "Decision Sciences"),
    ("2", "Social Sciences"),
)
TOPICS = {
    "T10181": (
        "Natural Language Processing Techniques",
        AI,
        [
            "Open-Domain Question Answering",
            "Long-Context Language Modelling",
            "Instruction Tuning",
        ],
    ),
    "T10028": (
        "Topic Modeling",
        AI,
        [
            "Neural Topic Discovery",
            "Corpus-Level Theme Tracking",
            "Document Clustering",
        ],
    ),
    "T10320": (
        "Neural Networks and Applications",
        AI,
        [
            "Sparse Mixture-of-Experts Training",
            "Activation Sparsity",
            "Low-Precision Training",
        ],
    ),
    "T11307": (
        "Domain Adaptation and Few-Shot Learning",
        AI,
        [
            "Few-Shot Image Classification",
            "Cross-Domain Transfer",
            "Knowledge Distillation",
        ],
    ),
    "T10102": (
        "scientometrics and bibliometrics research",
        STAT,
        [
            "Citation Impact Estimation",
            "Research Evaluation Indicators",
            "Co-authorship Network Analysis",
        ],
    ),
    "T10664": (
        "Sentiment Analysis and Opinion Mining",
        AI,
        ["Aspect-Based Sentiment Analysis", "Stance Detection", "Review Summarisation"],
    ),
    "T11714": (
        "Multimodal Machine Learning Applications",
        CV,
        [
            "Image-Text Retrieval",
            "Visual Question Answering",
            "Figure Understanding in Scientific Papers",
        ],
    ),
    "T10036": (
        "Advanced Neural Network Applications",
        CV,
        [
            "Efficient Object Detection",
            "Neural Architecture Search",
            "Model Compression",
        ],
    ),
    "T10203": (
        "Recommender Systems and Techniques",
        IS,
        ["Paper Recommendation", "Reviewer Assignment", "Session-Based Recommendation"],
    ),
    "T11273": (
        "Advanced Graph Neural Networks",
        AI,
        [
            "Link Prediction in Citation Graphs",
            "Heterogeneous Graph Embedding",
            "Scholarly Knowledge Graph Completion",
        ],
    ),
    "T10715": (
        "Distributed and Parallel Computing Systems",
        NET,
        [
            "Pipeline-Parallel Training",
            "Inference Serving at Scale",
            "Memory Offloading",
        ],
    ),
    "T12026": (
        "Explainable Artificial Intelligence (XAI)",
        AI,
        [
            "Post-hoc Attribution",
            "Faithful Rationale Extraction",
            "Counterfactual Explanation",
        ],
    ),
    "T10201": (
        "Speech Recognition and Synthesis",
        AI,
        [
            "Low-Resource Speech Recognition",
            "Lecture Transcription",
            "Spoken Query Understanding",
        ],
    ),
    "T11504": (
        "Research Data Management Practices",
        LIS,
        [
            "Dataset Citation",
            "Persistent Identifier Resolution",
            "Research Data Repositories",
        ],
    ),
    "T12380": (
        "Academic Publishing and Open Access",
        LIS,
        [
            "Open Access Discovery",
            "Preprint-to-Publication Linking",
            "Metadata Quality in Publisher Feeds",
        ],
    ),
    "T10538": (
        "Data Quality and Management",
        IS,
        [
            "Author Name Disambiguation",
            "Record Linkage",
            "Duplicate Detection in Bibliographic Databases",
        ],
    ),
    "T11550": (
        "Text and Document Classification Technologies",
        AI,
        [
            "Subject Classification of Abstracts",
            "Multi-Label Document Classification",
            "Hierarchical Text Classification",
        ],
    ),
}

# --- institutions (fictional, plus Cornell as arXiv's host organisation) ------
# key: name, country code, country, type, city, lat, lon, homepage host, department, focus topics
INSTS = {
    "northmere": (
        "Northmere Institute of Technology",
        "US",
        "United States",
        "education",
        "Northmere",
        42.31,
        -71.42,
        "northmere.example.edu",
        "Department of Computer Science",
        ["T11307", "T10320", "T10036"],
    ),
    "lanternfield": (
        "Lanternfield AI Research",
        "SG",
        "Singapore",
        "company",
        "Singapore",
        1.29,
        103.85,
        "lanternfield.example.com",
        "Foundation Models Group",
        ["T10181", "T10028", "T10715", "T10320"],
    ),
    "carrow": (
        "University of Carrow Heath",
        "GB",
        "United Kingdom",
        "education",
        "Carrow Heath",
        52.63,
        1.30,
        "carrowheath.example.edu",
        "School of Informatics",
        ["T10102", "T12380", "T10538"],
    ),
    "velmont": (
        "Velmont Polytechnic University",
        "CA",
        "Canada",
        "education",
        "Velmont",
        45.50,
        -73.57,
        "velmont.example.edu",
        "Faculty of Engineering",
        ["T10203", "T11273"],
    ),
    "aurelien": (
        "Institut Aurélien des Sciences de l'Information",
        "FR",
        "France",
        "education",
        "Lyon",
        45.76,
        4.84,
        "aurelien.example.org",
        "Laboratoire de Traitement des Langues",
        ["T10181", "T10664", "T11550"],
    ),
    "kestrel": (
        "Kestrel Bay University",
        "AU",
        "Australia",
        "education",
        "Kestrel Bay",
        -33.87,
        151.21,
        "kestrelbay.example.edu",
        "School of Computing",
        ["T10201", "T11714"],
    ),
    "hollowmere": (
        "Hollowmere Centre for Data Stewardship",
        "DE",
        "Germany",
        "facility",
        "Hollowmere",
        52.52,
        13.40,
        "hollowmere.example.org",
        "Data Services Unit",
        ["T11504", "T10538"],
    ),
    "osterlund": (
        "Österlund University of Applied Sciences",
        "SE",
        "Sweden",
        "education",
        "Österlund",
        59.33,
        18.07,
        "osterlund.example.edu",
        "Department of Applied AI",
        ["T12026", "T11307"],
    ),
    "brightwater": (
        "Brightwater Open Knowledge Foundation",
        "NL",
        "Netherlands",
        "nonprofit",
        "Brightwater",
        52.37,
        4.90,
        "brightwater.example.org",
        "Open Metadata Programme",
        ["T12380", "T10102"],
    ),
    "tamarind": (
        "Tamarind Coast University",
        "IN",
        "India",
        "education",
        "Tamarind Coast",
        13.08,
        80.27,
        "tamarindcoast.example.edu",
        "Centre for Language Technologies",
        ["T10664", "T10181", "T11550"],
    ),
    "saltmarsh": (
        "Saltmarsh Digital Library Consortium",
        "US",
        "United States",
        "archive",
        "Saltmarsh",
        39.29,
        -76.61,
        "saltmarsh.example.org",
        "Digital Collections",
        ["T11504", "T12380"],
    ),
    "kirisame": (
        "Kirisame Institute of Informatics",
        "JP",
        "Japan",
        "education",
        "Kirisame",
        35.68,
        139.69,
        "kirisame.example.ac.jp",
        "Graduate School of Informatics",
        ["T11714", "T10036", "T11273"],
    ),
}
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def ror(body):  # ROR id with its ISO 7064 mod 97-10 checksum
    n = 0
    for c in body:
        n = n * 32 + CROCKFORD.index(c)
    return f"https://ror.org/0{body}{98 - (n * 100) % 97:02d}"


def orcid(fifteen):  # ORCID iD with its ISO 7064 mod 11-2 check digit
    total = 0
    for d in fifteen:
        total = (total + int(d)) * 2
    c = (12 - total % 11) % 11
    s = fifteen + ("X" if c == 10 else str(c))
    return f"https://orcid.org/{s[:4]}-{s[4:8]}-{s[8:12]}-{s[12:]}"


def issn(seven):  # ISSN with its mod 11 check digit
    c = (
        11 - sum(int(d) * w for d, w in zip(seven, range(8, 1, -1), strict=True)) % 11
    ) % 11
    return f"{seven[:4]}-{seven[4:]}{'X' if c == 10 else c}"


INST = {}  # key -> dehydrated institution (as in authorships / affiliations)
for i, key in enumerate(INSTS, 1):
    iid = f"{OA}I51000000{i:02d}"
    INST[key] = {
        "id": iid,
        "ror": ror(f"bzpe{i:02d}"),
        "display_name": INSTS[key][0],
        "country_code": INSTS[key][1],
        "type": INSTS[key][3],
        "lineage": [iid],
    }
CORNELL = {
    "id": OA + "I205783295",
    "ror": "https://ror.org/05bnh6r87",
    "display_name": "Cornell University",
    "country_code": "US",
    "type": "education",
    "lineage": [OA + "I205783295"],
}

# --- sources: arXiv plus invented journals, conferences and a book series -----
SOURCES = {
    "arxiv": {
        "id": OA + "S4306400194",
        "display_name": "arXiv (Cornell University)",
        "issn_l": None,
        "issn": None,
        "is_oa": True,
        "is_in_doaj": False,
        "is_core": False,
        "host_organization": CORNELL["id"],
        "host_organization_name": "Cornell University",
        "host_organization_lineage": [CORNELL["id"]],
        "type": "repository",
        "homepage_url": "https://arxiv.org",
        "country_code": "US",
        "abbreviated_title": None,
    }
}
for i, (key, name, kind, abbrev, is_oa) in enumerate(
    [
        (
            "jsi",
            "Journal of Scholarly Infrastructure",
            "journal",
            "J. Sch. Infrastruct.",
            True,
        ),
        (
            "trr",
            "Transactions on Retrieval and Ranking Systems",
            "journal",
            "Trans. Retr. Rank. Syst.",
            False,
        ),
        (
            "asl",
            "Annals of Synthetic Language Research",
            "journal",
            "Ann. Synth. Lang. Res.",
            True,
        ),
        (
            "brg",
            "Bulletin of Research Graph Studies",
            "journal",
            "Bull. Res. Graph Stud.",
            True,
        ),
        (
            "hclt",
            "Proceedings of the Harbourline Conference on Language Technology",
            "conference",
            "HCLT",
            False,
        ),
        (
            "slr",
            "Proceedings of the Symposium on Learned Representations",
            "conference",
            "SLR",
            False,
        ),
        ("woci", "Workshop on Open Citation Intelligence", "conference", "WOCI", True),
        (
            "nmia",
            "Proceedings of the Northmere Meeting on Information Access",
            "conference",
            "NMIA",
            False,
        ),
        (
            "lnme",
            "Lecture Notes in Metadata Engineering",
            "book series",
            "Lect. Notes Metadata Eng.",
            False,
        ),
    ],
    1,
):
    issns = (
        None if kind == "conference" else [issn(f"29990{i:02d}"), issn(f"29991{i:02d}")]
    )
    SOURCES[key] = {
        "id": f"{OA}S51000000{i:02d}",
        "display_name": name,
        "issn_l": issns and issns[0],
        "issn": issns,
        "is_oa": is_oa,
        "is_in_doaj": is_oa and kind == "journal",
        "is_core": kind == "journal",
        "host_organization": None,
        "host_organization_name": None,
        "host_organization_lineage": [],
        "type": kind,
        "homepage_url": f"https://{key}.example.org",
        "country_code": None,
        "abbreviated_title": abbrev,
    }
VENUES = ["jsi", "trr", "asl", "brg", "hclt", "slr", "woci", "nmia"]

# --- people: invented names; segments feed her four bylines ------------------
GIVEN = [
    "Oriel",
    "Tamsin",
    "Quillon",
    "Marisol",
    "Ottoline",
    "Caspian",
    "Ysolde",
    "Thaddeus",
    "Linnea",
    "Ebbe",
    "Zoë",
    "Renée",
    "Åsa",
    "Cassius",
    "Perpetua",
    "Idris",
    "Wrenna",
    "Lucan",
    "Saoirse",
    "Mireille",
    "Bastian",
    "Elowen",
    "Florin",
    "Noemi",
    "Anselm",
    "Ilse",
    "Corentin",
    "Delphine",
    "Eamon",
    "Jessamy",
]
FAMILY = [
    "Vellacourt",
    "Quorrin",
    "Ashgrove",
    "Merrowind",
    "Tillbrook",
    "Halvorsk",
    "Dunmarrow",
    "Pellacrane",
    "Brackwater",
    "Ostravey",
    "Kestrelton",
    "Fallowmere",
    "Wintersby",
    "Larkspire",
    "Coldharbour",
    "Thistlewood",
    "Marrowgate",
    "Embervane",
    "Silvertarn",
    "Rookhaven",
    "Glimmerholt",
    "Saltcombe",
    "Varnavik",
    "Nettlefold",
]
names = rng.sample([f"{g} {f}" for g, f in product(GIVEN, FAMILY)], 90)
BIG_LABS = ["lanternfield"] * 10 + [
    "carrow",
    "velmont",
    "aurelien",
    "kestrel",
    "tamarind",
    "kirisame",
]
OTHER_LABS = [
    "hollowmere",
    "saltmarsh",
    "brightwater",
    "osterlund",
    "carrow",
    "velmont",
    "northmere",
]
PEOPLE = {
    BW: {
        "id": BW,
        "name": "Bingxuan Wang",
        "orcid": None,
        "lab": None,
        "inst": None,
        "prev": None,
        "switch": 0,
        "alt": ["B. Wang", "Wang Bingxuan"],
    }
}
for i, name in enumerate(names):
    lab = (
        "northmere"
        if i < 4
        else rng.choice(BIG_LABS)
        if i < 70
        else rng.choice(OTHER_LABS)
    )
    inst = lab if i < 4 or rng.random() < 0.75 else None
    given, family = name.rsplit(" ", 1)
    PEOPLE[f"{OA}A51000000{i + 2:02d}"] = {
        "id": f"{OA}A51000000{i + 2:02d}",
        "name": name,
        "lab": lab,
        "inst": inst,
        "switch": rng.randint(2018, 2023),
        "prev": rng.choice([k for k in INSTS if k != lab])
        if inst and rng.random() < 0.2
        else None,
        "orcid": orcid(f"00000002{rng.randint(9000000, 9999999)}")
        if rng.random() < 0.16
        else None,
        "alt": [f"{given[0]}. {family}", f"{family} {given}"],
    }
others = [p for p in PEOPLE if p != BW]
DFA_CO, BIG = others[:4], others[4:70]
COAUTHORS = {
    "2007.09292": DFA_CO,
    "2601.07372": BIG[55:66],
    "2401.02954": BIG[35:64],
    "2501.12948": BIG[:59],
}


def inst_at(pid, year):
    p = PEOPLE[pid]
    return p["prev"] if p["prev"] and year < p["switch"] else p["inst"]


# --- work skeletons ------------------------------------------------------------
WORKS = []


def new_work(**kw):
    kw.setdefault("partition", PART1)
    WORKS.append(
        dict(id=f"{OA}W51000{len(WORKS) + 1:05d}", year=int(kw["date"][:4]), **kw)
    )


for arxiv, day, title, size, pos, tids, cited, abstract in BW_WORKS:
    team = list(COAUTHORS[arxiv])
    team.insert(pos, BW)
    assert len(team) == size
    new_work(
        title=title,
        date=day,
        team=team,
        topics=tids,
        cited=cited,
        abstract=abstract,
        type="preprint",
        venue="arxiv",
        arxiv=arxiv,
        doi=f"10.48550/arxiv.{arxiv}",
    )

METHODS = [
    "Contrastive Pretraining",
    "Retrieval Augmentation",
    "Graph Attention",
    "Sparse Lookup Tables",
    "Curriculum Learning",
    "Weak Supervision",
    "Prompt Ensembles",
    "Hashing-Based Indexing",
    "Bayesian Calibration",
    "Self-Training",
    "Metadata-Aware Encoders",
    "Active Learning",
]
PATTERNS = [
    "{m} for {t}",
    "Revisiting {t} with {m}",
    "Towards Robust {t}",
    "{t} at Scale: An Empirical Study",
    "On the Limits of {m} in {t}",
    "A Benchmark for {t}",
    "{t} via {m}",
    "Lessons from Deploying {m} for {t}",
]
DATASETS = [
    "three public benchmarks",
    "a corpus of 1.2 million abstracts",
    "two multilingual test collections",
    "a new expert-annotated dataset",
    "the records of four institutional repositories",
]
CLOSERS = [
    "Code and data are released to support replication.",
    "We discuss limitations and directions for future work.",
    "An error analysis shows where the remaining failures concentrate.",
    "The method adds little overhead at inference time.",
]
SIZES = (
    [1] * 3
    + [2] * 9
    + [3] * 13
    + [4] * 13
    + [5] * 10
    + [6] * 8
    + [7] * 5
    + [8] * 4
    + [9] * 3
    + [10] * 2
    + [11, 12, 12, 13, 14, 15]
)
N_GENERIC = 156
order = others[:]
rng.shuffle(order)
titles, arxiv_ids, doi_n = {w["title"] for w in WORKS}, set(), 0
for i in range(N_GENERIC):
    lead = order[i % len(order)]
    lab = PEOPLE[lead]["lab"]
    k = i + 1 if i < 15 else rng.choice(SIZES)  # every team size 1..15 appears
    team = [lead]
    while len(team) < k:
        mates = [p for p in others if PEOPLE[p]["lab"] == lab and p not in team]
        pool = (
            mates
            if mates and rng.random() < 0.7
            else [p for p in others if p not in team]
        )
        team.append(rng.choice(pool))
    focus = INSTS[lab][9]
    tids = [rng.choice(focus)]
    for extra in rng.sample(list(TOPICS), 2)[: rng.randint(0, 2)]:
        if extra not in tids and (
            extra in focus or TOPICS[extra][1] == TOPICS[tids[0]][1]
        ):
            tids.append(extra)
    while True:
        m, t = rng.choice(METHODS), rng.choice(TOPICS[tids[0]][2])
        title = rng.choice(PATTERNS).format(m=m, t=t)
        if title not in titles:
            titles.add(title)
            break
    if i >= N_GENERIC - 2:  # the second, later partition
        year, day, partition = 2026, date(2026, 10, 20 + 7 * (i % 2)), PART2
    else:
        year = rng.choices(
            range(2015, 2027), weights=[1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 4]
        )[0]
        day, partition = (
            date(year, 1, 1)
            + timedelta(days=rng.randint(0, 287 if year == 2026 else 364)),
            PART1,
        )
    kind = rng.choices(["article", "preprint", "book-chapter"], weights=[60, 25, 15])[0]
    arxiv = doi = None
    if kind == "preprint":
        while (
            arxiv is None or arxiv in arxiv_ids
        ):  # 9xxxx numbers: never issued by arXiv, so no collision
            arxiv = f"{year % 100:02d}{day.month:02d}.9{rng.randint(0, 9999):04d}"
        arxiv_ids.add(arxiv)
        doi = f"10.48550/arxiv.{arxiv}"
    elif kind == "book-chapter" or rng.random() < 0.6:
        doi_n += 1
        doi = f"10.5555/bzpeer-sample.{doi_n}"
    abstract = (
        None
        if rng.random() < 0.15
        else " ".join(
            [
                f"{t} remains a central problem in {TOPICS[tids[0]][0].lower()}.",
                f"We study how {m.lower()} can be adapted to this setting without task-specific engineering.",
                f"On {rng.choice(DATASETS)} our approach improves accuracy by {rng.randint(2, 14)}.{rng.randint(0, 9)} points over strong baselines.",
                rng.choice(CLOSERS),
            ]
        )
    )
    cited = max(0, int(rng.paretovariate(1.4) * (2027 - year) * 1.6) - 3)
    new_work(
        title=title,
        date=day.isoformat(),
        team=team,
        topics=tids,
        cited=cited,
        abstract=abstract,
        type=kind,
        venue={"preprint": "arxiv", "book-chapter": "lnme"}.get(kind)
        or rng.choice(VENUES),
        arxiv=arxiv,
        doi=doi,
        partition=partition,
    )
WORKS[40]["retracted"] = True  # one retracted work, for the trust penalty

# references to earlier works sharing a topic; cited_by_count covers in-sample citations
for w in WORKS:
    earlier = [
        v["id"]
        for v in WORKS
        if v["date"] < w["date"] and set(v["topics"]) & set(w["topics"])
    ]
    w["refs"] = sorted(rng.sample(earlier, min(len(earlier), rng.randint(0, 8))))
incoming = Counter(r for w in WORKS for r in w["refs"])
for w in WORKS:
    w["cited"] = max(w["cited"], incoming[w["id"]])
    years = list(range(w["year"], 2027))
    w["cby"] = Counter(
        rng.choices(years, weights=[i + 1 for i in range(len(years))], k=w["cited"])
    )


# --- rendering -------------------------------------------------------------------
def inverted_index(text):
    index = defaultdict(list)
    for pos, word in enumerate(text.split(" ")):
        index[word].append(pos)
    return dict(index)


def taxonomy(tid):
    (sf, sfn), (f, fn), (d, dn) = TOPICS[tid][1]
    return {
        "subfield": {"id": f"{OA}subfields/{sf}", "display_name": sfn},
        "field": {"id": f"{OA}fields/{f}", "display_name": fn},
        "domain": {"id": f"{OA}domains/{d}", "display_name": dn},
    }


def source_stub(key):
    s = SOURCES[key]
    stub = {
        k: s[k]
        for k in (
            "id",
            "display_name",
            "issn_l",
            "issn",
            "is_oa",
            "is_in_doaj",
            "is_core",
            "host_organization",
            "host_organization_name",
            "host_organization_lineage",
            "type",
        )
    }
    return stub | {
        "host_organization_lineage_names": [s["host_organization_name"]]
        if s["host_organization"]
        else [],
        "raw_type": None,
    }


def locations(w):
    if w["venue"] == "arxiv":
        oai = {
            "id": f"pmh:oai:arXiv.org:{w['arxiv']}",
            "is_oa": True,
            "landing_page_url": f"http://arxiv.org/abs/{w['arxiv']}",
            "pdf_url": f"https://arxiv.org/pdf/{w['arxiv']}",
            "source": source_stub("arxiv"),
            "license": None,
            "license_id": None,
            "version": "submittedVersion",
            "is_accepted": False,
            "is_published": False,
            "raw_source_name": "",
        }
        via_doi = oai | {
            "id": f"doi:{w['doi']}",
            "landing_page_url": f"https://doi.org/{w['doi']}",
            "pdf_url": None,
            "source": source_stub("arxiv") | {"raw_type": "article"},
            "version": None,
            "is_published": None,
            "raw_source_name": None,
        }
        return [oai, via_doi]
    is_oa = SOURCES[w["venue"]]["is_oa"]
    landing = (
        f"https://doi.org/{w['doi']}"
        if w["doi"]
        else f"{SOURCES[w['venue']]['homepage_url']}/papers/{w['id'][len(OA) :]}"
    )
    return [
        {
            "id": f"doi:{w['doi']}"
            if w["doi"]
            else f"pmh:oai:{w['venue']}.example.org:{w['id'][len(OA) :]}",
            "is_oa": is_oa,
            "landing_page_url": landing,
            "pdf_url": f"{landing}.pdf" if is_oa and not w["doi"] else None,
            "source": source_stub(w["venue"]),
            "license": "cc-by" if is_oa else None,
            "license_id": f"{OA}licenses/cc-by" if is_oa else None,
            "version": "publishedVersion",
            "is_accepted": True,
            "is_published": True,
            "raw_source_name": SOURCES[w["venue"]]["display_name"],
        }
    ]


def authorship(w, idx, pid):
    p, key = PEOPLE[pid], inst_at(pid, w["year"])
    raw = (
        [f"{INSTS[key][8]}, {INSTS[key][0]}, {INSTS[key][4]}, {INSTS[key][2]}"]
        if key
        else []
    )
    n = len(w["team"])
    return {
        "author_position": "first"
        if idx == 0
        else "last"
        if idx == n - 1
        else "middle",
        "author": {"id": pid, "display_name": p["name"], "orcid": p["orcid"]},
        "institutions": [INST[key]] if key else [],
        "countries": [INSTS[key][1]] if key else [],
        "is_corresponding": idx == 0 and w["type"] != "preprint",
        "raw_author_name": p["name"],
        "raw_affiliation_strings": raw,
        "affiliations": [
            {"raw_affiliation_string": raw[0], "institution_ids": [INST[key]["id"]]}
        ]
        if key
        else [],
    }


def render_work(w):
    auths = [authorship(w, i, pid) for i, pid in enumerate(w["team"])]
    locs = locations(w)
    topics = [
        {
            "id": OA + t,
            "display_name": TOPICS[t][0],
            "score": round(0.999 - 0.04 * i - rng.random() * 0.01, 4),
        }
        | taxonomy(t)
        for i, t in enumerate(w["topics"])
    ]
    best = next((loc for loc in locs if loc["is_oa"]), None)
    corr = [a for a in auths if a["is_corresponding"]]
    jour = w["type"] == "article" and SOURCES[w["venue"]]["type"] == "journal"
    return {
        "id": w["id"],
        "doi": w["doi"] and f"https://doi.org/{w['doi']}",
        "title": w["title"],
        "display_name": w["title"],
        "publication_year": w["year"],
        "publication_date": w["date"],
        "ids": {"openalex": w["id"]}
        | ({"doi": f"https://doi.org/{w['doi']}"} if w["doi"] else {}),
        "language": "en",
        "primary_location": locs[0],
        "type": w["type"],
        "indexed_in": ["arxiv", "datacite"]
        if w["venue"] == "arxiv"
        else ["crossref"]
        if w["doi"]
        else [],
        "open_access": {
            "is_oa": bool(best),
            "oa_status": ("green" if w["venue"] == "arxiv" else "gold")
            if best
            else "closed",
            "oa_url": best and (best["pdf_url"] or best["landing_page_url"]),
            "any_repository_has_fulltext": False,
        },
        "authorships": auths,
        "institutions": [],
        "countries_distinct_count": len({c for a in auths for c in a["countries"]}),
        "institutions_distinct_count": len(
            {i["id"] for a in auths for i in a["institutions"]}
        ),
        "corresponding_author_ids": [a["author"]["id"] for a in corr],
        "corresponding_institution_ids": [
            i["id"] for a in corr for i in a["institutions"]
        ],
        "apc_list": None,
        "apc_paid": None,
        "fwci": None,
        "has_fulltext": False,
        "cited_by_count": w["cited"],
        "citation_normalized_percentile": None,
        "cited_by_percentile_year": None,
        "biblio": {
            "volume": str(w["year"] - 2010),
            "issue": str(rng.randint(1, 6)),
            "first_page": str(p := rng.randint(1, 300)),
            "last_page": str(p + rng.randint(8, 24)),
        }
        if jour
        else {"volume": None, "issue": None, "first_page": None, "last_page": None},
        "is_retracted": w.get("retracted", False),
        "is_paratext": False,
        "is_xpac": False,
        "primary_topic": topics[0],
        "topics": topics,
        "keywords": [],
        "concepts": [],
        "mesh": [],
        "locations_count": len(locs),
        "locations": locs,
        "best_oa_location": best,
        "sustainable_development_goals": [],
        "awards": [],
        "funders": [],
        "has_content": {"grobid_xml": False, "pdf": False},
        "content_urls": None,
        "referenced_works_count": len(w["refs"]),
        "referenced_works": w["refs"],
        "related_works": [],
        "abstract_inverted_index": w["abstract"] and inverted_index(w["abstract"]),
        "counts_by_year": [
            {"year": y, "cited_by_count": c}
            for y, c in sorted(w["cby"].items(), reverse=True)
        ],
        "updated_date": UPDATED[w["partition"]],
        "created_date": max(w["date"], "2016-06-24"),
    }


def summary(ws):
    cites = sorted((w["cited"] for w in ws), reverse=True)
    recent = [w for w in ws if w["year"] in (2024, 2025)]
    return {
        "2yr_mean_citedness": round(
            sum(w["cby"][2026] for w in recent) / len(recent), 4
        )
        if recent
        else 0.0,
        "h_index": sum(c >= i + 1 for i, c in enumerate(cites)),
        "i10_index": sum(c >= 10 for c in cites),
    }


def topic_counts(ws, limit=None):
    counts = Counter(t for w in ws for t in w["topics"])
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [
        {"id": OA + t, "display_name": TOPICS[t][0], "count": c} | taxonomy(t)
        for t, c in ranked
    ]


def yearly(ws):
    years = sorted(
        {w["year"] for w in ws} | {y for w in ws for y in w["cby"]}, reverse=True
    )
    return [
        {
            "year": y,
            "works_count": sum(w["year"] == y for w in ws),
            "cited_by_count": sum(w["cby"][y] for w in ws),
        }
        for y in years
    ]


def common(entity_id, ws, kind):
    return {
        "works_count": len(ws),
        "cited_by_count": sum(w["cited"] for w in ws),
        "summary_stats": summary(ws),
        "counts_by_year": yearly(ws),
        "works_api_url": f"{API}works?filter={kind}:{entity_id[len(OA) :]}",
        "updated_date": UPDATED[PART1],
    }


by_author, by_inst, by_source, by_topic = (
    defaultdict(list),
    defaultdict(list),
    defaultdict(list),
    defaultdict(list),
)
for w in WORKS:
    by_source[SOURCES[w["venue"]]["id"]].append(w)
    for t in w["topics"]:
        by_topic[t].append(w)
    for pid in w["team"]:
        by_author[pid].append(w)
    for key in {inst_at(pid, w["year"]) for pid in w["team"]} - {None}:
        by_inst[key].append(w)


def render_author(pid):
    p, ws = PEOPLE[pid], by_author[pid]
    years = defaultdict(set)
    for w in ws:
        if inst_at(pid, w["year"]):
            years[inst_at(pid, w["year"])].add(w["year"])
    affs = sorted(years.items(), key=lambda kv: (-max(kv[1]), kv[0]))
    return {
        "id": pid,
        "orcid": p["orcid"],
        "display_name": p["name"],
        "display_name_alternatives": p["alt"],
        "ids": {"openalex": pid} | ({"orcid": p["orcid"]} if p["orcid"] else {}),
        "affiliations": [
            {"institution": INST[k], "years": sorted(y, reverse=True)} for k, y in affs
        ],
        "last_known_institutions": [INST[affs[0][0]]] if affs else [],
        "topics": topic_counts(ws),
        "created_date": "2023-07-21",
    } | common(pid, ws, "author.id")


def render_institution(key):
    inst = INST.get(key, CORNELL)
    name, cc, country, _, city, lat, lon, host, *_ = INSTS.get(key) or (
        "",
        "US",
        "United States",
        "",
        "Ithaca",
        42.44,
        -76.48,
        "www.cornell.edu",
    )
    ws = by_inst[key]
    return (
        inst
        | {
            "type_id": f"{OA}institution-types/{inst['type']}",
            "homepage_url": f"https://{host}",
            "image_url": None,
            "image_thumbnail_url": None,
            "display_name_acronyms": [],
            "display_name_alternatives": [],
            "repositories": [],
            "ids": {"openalex": inst["id"], "ror": inst["ror"]},
            "geo": {
                "city": city,
                "geonames_city_id": None,
                "region": None,
                "country_code": cc,
                "country": country,
                "latitude": lat,
                "longitude": lon,
            },
            "international": {"display_name": {}},
            "associated_institutions": [],
            "roles": [
                {"role": "institution", "id": inst["id"], "works_count": len(ws)}
            ],
            "topics": topic_counts(ws, 5),
            "is_super_system": False,
            "created_date": "2016-06-24",
        }
        | common(inst["id"], ws, "institutions.id")
    )


def render_source(key):
    s = dict(SOURCES[key])
    ws = by_source[s["id"]]
    return (
        s
        | {
            "ids": {"openalex": s["id"]}
            | ({"issn_l": s["issn_l"], "issn": s["issn"]} if s["issn"] else {}),
            "apc_prices": None,
            "apc_usd": None,
            "societies": [],
            "alternate_titles": [],
            "topics": topic_counts(ws, 5),
            "created_date": "2016-06-24",
        }
        | common(s["id"], ws, "primary_location.source.id")
    )


def render_topic(tid):
    sub = TOPICS[tid][1][0]
    return {
        "id": OA + tid,
        "display_name": TOPICS[tid][0],
        "description": f"This cluster of papers studies {', '.join(x.lower() for x in TOPICS[tid][2])} and related problems.",
        "keywords": TOPICS[tid][2],
        "ids": {"openalex": OA + tid},
        "siblings": [
            {"id": OA + t, "display_name": TOPICS[t][0]}
            for t in TOPICS
            if t != tid and TOPICS[t][1][0] == sub
        ],
        "works_count": len(by_topic[tid]),
        "cited_by_count": sum(w["cited"] for w in by_topic[tid]),
        "updated_date": UPDATED[PART1],
        "created_date": "2024-01-23",
    } | taxonomy(tid)


RECORDS = {
    "institutions": {PART1: [render_institution(k) for k in [*INSTS, "cornell"]]},
    "sources": {PART1: [render_source(k) for k in SOURCES]},
    "topics": {PART1: [render_topic(t) for t in TOPICS]},
    "authors": {PART1: [render_author(p) for p in PEOPLE]},
    "works": {
        part: [render_work(w) for w in WORKS if w["partition"] == part]
        for part in (PART1, PART2)
    },
}

# --- hard requirements -----------------------------------------------------------
all_works = RECORDS["works"][PART1] + RECORDS["works"][PART2]
ids = {
    e: {r["id"] for recs in parts.values() for r in recs}
    for e, parts in RECORDS.items()
}
assert all(len(ids[e]) == sum(map(len, RECORDS[e].values())) for e in RECORDS), (
    "duplicate ids"
)
for r in all_works:
    for a in r["authorships"]:
        assert a["author"]["id"] in ids["authors"] and all(
            i["id"] in ids["institutions"] for i in a["institutions"]
        )
    assert all(loc["source"]["id"] in ids["sources"] for loc in r["locations"])
    assert (
        all(t["id"] in ids["topics"] for t in r["topics"])
        and set(r["referenced_works"]) <= ids["works"]
    )
    if r["abstract_inverted_index"]:
        words = {
            p: word for word, ps in r["abstract_inverted_index"].items() for p in ps
        }
        assert " ".join(words[i] for i in range(len(words))) == next(
            w["abstract"] for w in WORKS if w["id"] == r["id"]
        )
assert {r["host_organization"] for r in RECORDS["sources"][PART1]} - {None} <= ids[
    "institutions"
]
authors = {r["id"]: r for r in RECORDS["authors"][PART1]}
for r in authors.values():
    mine = [
        w for w in all_works if r["id"] in {a["author"]["id"] for a in w["authorships"]}
    ]
    assert r["works_count"] == len(mine) > 0 and r["cited_by_count"] == sum(
        w["cited_by_count"] for w in mine
    )
bw = authors[BW]
bw_works = sorted(
    (w for w in WORKS if BW in w["team"]), key=lambda w: w["date"], reverse=True
)
assert [w["title"] for w in bw_works] == [t for _, _, t, *_ in BW_WORKS] and [
    w["year"] for w in bw_works
] == [2026, 2026, 2024, 2020]
assert all(w["type"] == "preprint" and w["venue"] == "arxiv" for w in bw_works)
assert (
    bw["orcid"] is None
    and bw["affiliations"] == [] == bw["last_known_institutions"]
    and bw["works_count"] == 4
)
assert len(bw["topics"]) == 4 == len({t for w in bw_works for t in w["topics"]})
assert sorted(len(w["team"]) for w in bw_works) == [5, 12, 30, 60]
if REFERENCE.exists():
    reference_lines = REFERENCE.read_text(encoding="utf-8").split("\n")
    assert all(
        w["abstract"] in reference_lines and w["title"] in reference_lines
        for w in bw_works
    )
ties = defaultdict(Fraction)
for w in bw_works:
    for pid in w["team"]:
        if pid != BW:
            ties[pid] += Fraction(1, len(w["team"]) - 1)
close = {pid: t for pid, t in ties.items() if t >= Fraction(1, 5)}
assert close == {pid: Fraction(1, 4) for pid in DFA_CO}, close
generic = [w for w in WORKS if BW not in w["team"]]
assert {len(w["team"]) for w in generic} >= set(range(1, 16)) and {
    w["type"] for w in generic
} == {"article", "preprint", "book-chapter"}
assert (
    len(authors) - 1 >= 45
    and len(all_works) >= 150
    and len(ids["topics"]) >= 15
    and len(INSTS) >= 10
)
assert (
    sum(bool(r["orcid"]) for r in authors.values()) >= 5
    and sum(bool(r["affiliations"]) for r in authors.values()) >= 15
)
assert (
    sum(w["abstract"] is None for w in generic) >= 5
    and sum(bool(w["doi"] and "10.5555/" in w["doi"]) for w in generic) >= 10
)
assert (
    min(w["year"] for w in generic) >= 2015
    and max(w["date"] for w in WORKS if w["partition"] == PART1) < PART1
)

# --- write -------------------------------------------------------------------------
shutil.rmtree(OUT, ignore_errors=True)
for entity, parts in RECORDS.items():
    entries = []
    for part, recs in sorted(parts.items()):
        lines = "".join(
            json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n"
            for r in sorted(recs, key=lambda r: r["id"])
        )
        blob = gzip.compress(lines.encode("utf-8"), compresslevel=9, mtime=0)
        path = OUT / entity / f"updated_date={part}" / "part_000.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        entries.append(
            {
                "url": f"s3://openalex/data/{entity}/updated_date={part}/part_000.gz",
                "meta": {"content_length": len(blob), "record_count": len(recs)},
            }
        )
    meta = {
        k: sum(e["meta"][k] for e in entries)
        for k in ("content_length", "record_count")
    }
    (OUT / entity / "manifest").write_text(
        json.dumps({"entries": entries, "meta": meta}) + "\n", encoding="utf-8"
    )
    print(
        f"{entity:13} {meta['record_count']:4} records in {len(entries)} partition(s)"
    )
print(
    f"\nBingxuan Wang {BW}: {bw['works_count']} works, {bw['cited_by_count']} citations"
)
for w in bw_works:
    print(
        f"  {w['id']}  {w['year']}  arXiv:{w['arxiv']}  {len(w['team']):2} authors  {w['title'][:60]}"
    )
print(
    "  topics: "
    + ", ".join(
        f"{t['id'][len(OA) :]} {t['display_name']} ({t['count']})" for t in bw["topics"]
    )
)
for pid, t in sorted(close.items()):
    print(
        f"  close collaborator {pid[len(OA) :]} {PEOPLE[pid]['name']}: tie strength {t} = {float(t):.3f}"
    )
print(
    f"  strongest other tie: {float(max(t for pid, t in ties.items() if pid not in close)):.3f} (threshold 0.2)"
)
