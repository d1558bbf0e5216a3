"""The fixed tables a synthetic snapshot is drawn from: OpenAlex's domains and
fields (their real ids and names) with a few subfields each, the words of
titles, abstracts and topic names, people's names, places, countries.

Everything here is data; the draws are made in ``catalog`` and ``records``.
Word lists are written as one string each, split on whitespace (or on ``|``
where an entry has spaces), to keep the tables short.
"""

from __future__ import annotations

from dataclasses import dataclass

OPENALEX = "https://openalex.org/"
API = "https://api.openalex.org/"

DOMAINS = {
    1: "Life Sciences",
    2: "Social Sciences",
    3: "Physical Sciences",
    4: "Health Sciences",
}


@dataclass(frozen=True)
class Field:
    id: int
    name: str
    domain: int
    # Share of all works, relative to the other fields.
    weight: float
    subfields: tuple[tuple[int, str], ...]
    # Noun phrases of titles and topic names.
    terms: tuple[str, ...]
    # Share of its works that are arXiv preprints or carry an arXiv copy.
    arxiv_share: float = 0.0
    # Share of its works that PubMed indexes (pmid, MeSH terms).
    pubmed_share: float = 0.0


def _subfields(text: str) -> tuple[tuple[int, str], ...]:
    pairs = (entry.split(":", 1) for entry in text.split("|"))
    return tuple((int(code), name.strip()) for code, name in pairs)


def _terms(text: str) -> tuple[str, ...]:
    return tuple(term.strip() for term in text.split("|"))


FIELDS = (
    Field(
        11,
        "Agricultural and Biological Sciences",
        1,
        5.0,
        _subfields(
            "1102:Agronomy and Crop Science|1105:Ecology, Evolution, Behavior and "
            "Systematics|1104:Aquatic Science|1106:Food Science|1110:Plant Science"
        ),
        _terms(
            "Crop Yield|Soil Microbiome|Plant Stress Responses|Seed Dormancy|"
            "Pollinator "
            "Decline|Fish Population Dynamics|Grassland Ecology|Food Fermentation|Root "
            "Architecture|Phenotypic Plasticity|Species Coexistence|Nitrogen Fixation|"
            "Wheat Genomics|Forest Carbon Stocks|Animal Behavior|Coral Reef Resilience"
        ),
        pubmed_share=0.3,
    ),
    Field(
        12,
        "Arts and Humanities",
        2,
        3.0,
        _subfields(
            "1202:History|1203:Language and Linguistics|1207:History and Philosophy "
            "of Science|1208:Literature and Literary Theory|1211:Philosophy"
        ),
        _terms(
            "Medieval Manuscripts|Colonial Archives|Syntactic Variation|Literary "
            "Modernism|Epistemic Virtue|Scientific Revolutions|Oral Traditions|"
            "Translation Studies|Phonological Change|Renaissance Art|Moral Realism|"
            "Digital Humanities|Museum Collections|Sacred Texts"
        ),
    ),
    Field(
        13,
        "Biochemistry, Genetics and Molecular Biology",
        1,
        7.0,
        _subfields(
            "1311:Genetics|1312:Molecular Biology|1306:Cancer Research|1307:Cell "
            "Biology|1315:Structural Biology"
        ),
        _terms(
            "Gene Regulatory Networks|CRISPR Screening|Protein Folding|Chromatin "
            "Remodeling|Single-Cell Transcriptomics|Tumor Microenvironment|"
            "Mitochondrial "
            "Dynamics|DNA Repair|RNA Splicing|Epigenetic Inheritance|Cell Migration|"
            "Autophagy|Genome-Wide Association|Protein Structure Prediction|Stem Cell "
            "Differentiation|Signal Transduction"
        ),
        arxiv_share=0.03,
        pubmed_share=0.85,
    ),
    Field(
        14,
        "Business, Management and Accounting",
        2,
        2.0,
        _subfields(
            "1408:Strategy and Management|1406:Marketing|1404:Management Information "
            "Systems|1407:Organizational Behavior and Human Resource Management"
        ),
        _terms(
            "Supply Chain Resilience|Corporate Governance|Consumer Trust|Digital "
            "Transformation|Employee Engagement|Brand Loyalty|Entrepreneurial "
            "Ecosystems|Sustainability Reporting|Platform Business Models|Knowledge "
            "Management|Innovation Diffusion|Family Firms"
        ),
    ),
    Field(
        15,
        "Chemical Engineering",
        3,
        1.5,
        _subfields(
            "1503:Catalysis|1505:Colloid and Surface Chemistry|1507:Fluid Flow and "
            "Transfer Processes|1508:Process Chemistry and Technology"
        ),
        _terms(
            "Heterogeneous Catalysis|Membrane Separation|Emulsion Stability|"
            "Multiphase Flow|Reactor Design|Carbon Capture|Adsorption Kinetics|Process "
            "Intensification|Electrocatalytic Reduction|Zeolite Frameworks|Biomass "
            "Conversion|Crystallization Control"
        ),
    ),
    Field(
        16,
        "Chemistry",
        3,
        4.0,
        _subfields(
            "1605:Organic Chemistry|1606:Physical and Theoretical Chemistry|1604:"
            "Inorganic Chemistry|1602:Analytical Chemistry|1603:Electrochemistry"
        ),
        _terms(
            "Asymmetric Synthesis|Metal-Organic Frameworks|Density Functional Theory|"
            "Photoredox Catalysis|Mass Spectrometry|Supramolecular Assembly|"
            "Lithium-Ion "
            "Electrolytes|Reaction Mechanisms|Fluorescent Probes|Coordination Polymers|"
            "Molecular Dynamics|Green Solvents|Nanoparticle Synthesis|Raman "
            "Spectroscopy"
        ),
        arxiv_share=0.04,
        pubmed_share=0.2,
    ),
    Field(
        17,
        "Computer Science",
        3,
        10.0,
        _subfields(
            "1702:Artificial Intelligence|1707:Computer Vision and Pattern "
            "Recognition|1705:Computer Networks and Communications|1710:Information "
            "Systems|1712:Software|1703:Computational Theory and Mathematics"
        ),
        _terms(
            "Large Language Models|Graph Neural Networks|Reinforcement Learning|Object "
            "Detection|Federated Learning|Knowledge Graphs|Neural Machine Translation|"
            "Program Synthesis|Edge Computing|Recommender Systems|Adversarial "
            "Robustness|Diffusion Models|Software Testing|Distributed Consensus|"
            "Information Retrieval|Wireless Sensor Networks|Query Optimization|"
            "Explainable AI"
        ),
        arxiv_share=0.35,
    ),
    Field(
        18,
        "Decision Sciences",
        2,
        1.0,
        _subfields(
            "1803:Management Science and Operations Research|1804:Statistics, "
            "Probability and Uncertainty|1802:Information Systems and Management"
        ),
        _terms(
            "Inventory Optimization|Multi-Criteria Decision Making|Vehicle Routing|"
            "Bayesian Forecasting|Scheduling Heuristics|Risk Assessment|Queueing "
            "Models|"
            "Scientometrics|Stochastic Programming|Group Decision Making"
        ),
        arxiv_share=0.05,
    ),
    Field(
        19,
        "Earth and Planetary Sciences",
        3,
        2.5,
        _subfields(
            "1902:Atmospheric Science|1906:Geochemistry and Petrology|1908:Geophysics|"
            "1910:Oceanography|1912:Space and Planetary Science"
        ),
        _terms(
            "Aerosol Radiative Forcing|Seismic Tomography|Mantle Convection|Ocean "
            "Circulation|Glacier Mass Balance|Monsoon Variability|Magma "
            "Differentiation|"
            "Exoplanet Atmospheres|Sediment Transport|Paleoclimate Proxies|Ionospheric "
            "Disturbances|Groundwater Recharge"
        ),
        arxiv_share=0.08,
    ),
    Field(
        20,
        "Economics, Econometrics and Finance",
        2,
        2.0,
        _subfields("2002:Economics and Econometrics|2003:Finance"),
        _terms(
            "Monetary Policy|Labor Market Dynamics|Asset Pricing|Trade "
            "Liberalization|Income Inequality|Financial Contagion|Causal Inference|"
            "Housing Prices|Cryptocurrency Markets|Development Aid|Tax Compliance|"
            "Central Bank Communication"
        ),
        arxiv_share=0.04,
    ),
    Field(
        21,
        "Energy",
        3,
        2.0,
        _subfields(
            "2105:Renewable Energy, Sustainability and the Environment|2102:Energy "
            "Engineering and Power Technology|2104:Nuclear Energy and Engineering|"
            "2103:Fuel Technology"
        ),
        _terms(
            "Photovoltaic Efficiency|Wind Power Forecasting|Hydrogen Storage|Smart "
            "Grids|Battery Degradation|Energy Demand Forecasting|Biofuel Production|"
            "Thermal Energy Storage|Microgrid Control|Reactor Safety|Perovskite Solar "
            "Cells|Demand Response"
        ),
        arxiv_share=0.03,
    ),
    Field(
        22,
        "Engineering",
        3,
        8.0,
        _subfields(
            "2207:Control and Systems Engineering|2208:Electrical and Electronic "
            "Engineering|2210:Mechanical Engineering|2205:Civil and Structural "
            "Engineering|2204:Biomedical Engineering|2202:Aerospace Engineering"
        ),
        _terms(
            "Model Predictive Control|Fatigue Crack Growth|Power Electronics|"
            "Structural "
            "Health Monitoring|Additive Manufacturing|Fault Diagnosis|Antenna Design|"
            "Vibration Suppression|Concrete Durability|Robotic Manipulation|Turbulent "
            "Combustion|Wearable Sensors|Autonomous Vehicles|Signal Denoising|Heat "
            "Exchanger Design|Finite Element Analysis"
        ),
        arxiv_share=0.06,
    ),
    Field(
        23,
        "Environmental Science",
        3,
        4.0,
        _subfields(
            "2302:Ecological Modeling|2309:Nature and Landscape Conservation|2312:"
            "Water Science and Technology|2310:Pollution|2306:Global and Planetary "
            "Change"
        ),
        _terms(
            "Species Distribution|Microplastic Pollution|Wastewater Treatment|Land "
            "Use Change|Air Quality|Heavy Metal Contamination|Biodiversity Hotspots|"
            "Climate Adaptation|Urban Heat Islands|Ecosystem Services|Wetland "
            "Restoration|Carbon Footprint"
        ),
        pubmed_share=0.25,
    ),
    Field(
        24,
        "Immunology and Microbiology",
        1,
        2.0,
        _subfields(
            "2403:Immunology|2404:Microbiology|2406:Virology|2402:Applied Microbiology "
            "and Biotechnology"
        ),
        _terms(
            "T Cell Exhaustion|Antimicrobial Resistance|Gut Microbiota|Viral "
            "Replication|"
            "Vaccine Immunogenicity|Innate Immune Sensing|Biofilm Formation|Phage "
            "Therapy|Antibody Engineering|Host-Pathogen Interactions|Inflammasome "
            "Activation|Probiotic Strains"
        ),
        pubmed_share=0.9,
    ),
    Field(
        25,
        "Materials Science",
        3,
        4.0,
        _subfields(
            "2505:Materials Chemistry|2508:Surfaces, Coatings and Films|2502:"
            "Biomaterials|2504:Electronic, Optical and Magnetic Materials"
        ),
        _terms(
            "Two-Dimensional Materials|High-Entropy Alloys|Thin Film Deposition|"
            "Hydrogels|Corrosion Resistance|Ferroelectric Domains|Polymer Composites|"
            "Quantum Dots|Grain Boundary Engineering|Self-Healing Materials|Ceramic "
            "Sintering|Magnetic Skyrmions"
        ),
        arxiv_share=0.1,
    ),
    Field(
        26,
        "Mathematics",
        3,
        3.0,
        _subfields(
            "2604:Applied Mathematics|2613:Statistics and Probability|2608:Geometry "
            "and Topology|2607:Discrete Mathematics and Combinatorics|2605:"
            "Computational Mathematics"
        ),
        _terms(
            "Elliptic Equations|Random Matrices|Graph Colorings|Optimal Transport|"
            "Hyperbolic Manifolds|Numerical Integrators|High-Dimensional Statistics|"
            "Modular Forms|Stochastic Differential Equations|Convex Optimization|"
            "Extremal Combinatorics|Spectral Methods|Bayesian Nonparametrics|Knot "
            "Invariants"
        ),
        arxiv_share=0.45,
    ),
    Field(
        27,
        "Medicine",
        4,
        20.0,
        _subfields(
            "2705:Cardiology and Cardiovascular Medicine|2730:Oncology|2725:Infectious "
            "Diseases|2728:Neurology|2739:Public Health, Environmental and "
            "Occupational Health|2713:Epidemiology|2746:Surgery|2724:Internal "
            "Medicine|2738:Psychiatry and Mental Health|2741:Radiology, Nuclear "
            "Medicine and Imaging"
        ),
        _terms(
            "Heart Failure|Atrial Fibrillation|Breast Cancer Screening|Immune "
            "Checkpoint Inhibitors|Sepsis Management|Tuberculosis Treatment|Stroke "
            "Rehabilitation|Multiple Sclerosis|Vaccine Hesitancy|Childhood Obesity|"
            "Type 2 Diabetes|Chronic Kidney Disease|Laparoscopic Surgery|Postoperative "
            "Delirium|Depression Screening|Antibiotic Stewardship|Medical Imaging|"
            "Maternal Health|Hypertension Control|Lung Cancer Survival|Opioid Use "
            "Disorder|Hospital Readmission|COVID-19 Outcomes|HIV Prevention|Frailty "
            "in Older Adults|Colorectal Cancer|Sleep Apnea|Kidney Transplantation|"
            "Pediatric Asthma|Osteoarthritis Pain"
        ),
        arxiv_share=0.01,
        pubmed_share=0.8,
    ),
    Field(
        28,
        "Neuroscience",
        1,
        2.0,
        _subfields(
            "2805:Cognitive Neuroscience|2804:Cellular and Molecular Neuroscience|"
            "2808:Neurology"
        ),
        _terms(
            "Synaptic Plasticity|Working Memory|Neural Oscillations|Neurodegeneration|"
            "Dopamine Signaling|Brain Connectivity|Adult Neurogenesis|Motor Learning|"
            "Pain Processing|Sleep Regulation|Glial Cells|Decision Making Circuits"
        ),
        arxiv_share=0.05,
        pubmed_share=0.9,
    ),
    Field(
        29,
        "Nursing",
        4,
        1.0,
        _subfields(
            "2902:Advanced and Specialized Nursing|2911:Leadership and Management"
        ),
        _terms(
            "Nurse Staffing|Patient Safety Culture|Palliative Care|Nursing Education|"
            "Pressure Injury Prevention|Burnout Among Nurses|Home Care Services|"
            "Medication Adherence"
        ),
        pubmed_share=0.8,
    ),
    Field(
        30,
        "Pharmacology, Toxicology and Pharmaceutics",
        1,
        1.5,
        _subfields("3004:Pharmacology|3005:Toxicology|3003:Pharmaceutical Science"),
        _terms(
            "Drug Delivery Systems|Pharmacokinetic Modeling|Adverse Drug Reactions|"
            "Natural Product Screening|Drug Repurposing|Nanocarrier Formulation|"
            "Hepatotoxicity|Dose Optimization|Herbal Medicine|Receptor Binding"
        ),
        pubmed_share=0.85,
    ),
    Field(
        31,
        "Physics and Astronomy",
        3,
        6.0,
        _subfields(
            "3103:Astronomy and Astrophysics|3106:Nuclear and High Energy Physics|3104:"
            "Condensed Matter Physics|3107:Atomic and Molecular Physics, and Optics|"
            "3109:Statistical and Nonlinear Physics"
        ),
        _terms(
            "Dark Matter Halos|Gravitational Waves|Quantum Entanglement|Topological "
            "Insulators|Higgs Boson Decays|Neutrino Oscillations|Superconducting "
            "Qubits|"
            "Galaxy Formation|Cold Atom Lattices|Plasma Turbulence|Ultrafast Optics|"
            "Cosmic Microwave Background|Spin Liquids|Jet Quenching|Photonic Crystals|"
            "Active Matter"
        ),
        arxiv_share=0.6,
    ),
    Field(
        32,
        "Psychology",
        2,
        3.0,
        _subfields(
            "3205:Experimental and Cognitive Psychology|3207:Social Psychology|3204:"
            "Developmental and Educational Psychology|3203:Clinical Psychology"
        ),
        _terms(
            "Attentional Control|Social Identity|Emotion Regulation|Child Development|"
            "Mindfulness Interventions|Implicit Bias|Language Acquisition|Anxiety "
            "Disorders|Prosocial Behavior|Memory Consolidation|Personality Traits|"
            "Reading Comprehension"
        ),
        arxiv_share=0.02,
        pubmed_share=0.5,
    ),
    Field(
        33,
        "Social Sciences",
        2,
        6.0,
        _subfields(
            "3304:Education|3312:Sociology and Political Science|3320:Political "
            "Science "
            "and International Relations|3305:Geography, Planning and Development|3308:"
            "Law|3315:Communication|3309:Library and Information Sciences"
        ),
        _terms(
            "Higher Education Access|Political Polarization|Migration Policy|Urban "
            "Planning|Misinformation Spread|Teacher Professional Development|Open "
            "Access Publishing|Citation Analysis|Gender Equality|Human Rights Law|"
            "Civic Participation|Social Media Use|Research Data Management|Rural "
            "Development"
        ),
        arxiv_share=0.03,
    ),
    Field(
        34,
        "Veterinary",
        4,
        0.5,
        _subfields("3404:Small Animals|3403:Food Animals"),
        _terms(
            "Canine Oncology|Bovine Mastitis|Equine Lameness|Poultry Welfare|Feline "
            "Infectious Diseases|Swine Influenza"
        ),
        pubmed_share=0.7,
    ),
    Field(
        35,
        "Dentistry",
        4,
        0.5,
        _subfields("3504:Oral Surgery|3505:Orthodontics"),
        _terms(
            "Dental Implants|Periodontal Disease|Orthodontic Tooth Movement|Dental "
            "Caries|Root Canal Treatment|Oral Microbiome"
        ),
        pubmed_share=0.8,
    ),
    Field(
        36,
        "Health Professions",
        4,
        1.0,
        _subfields(
            "3612:Physical Therapy, Sports Therapy and Rehabilitation|3614:"
            "Radiological and Ultrasound Technology"
        ),
        _terms(
            "Exercise Therapy|Sports Injuries|Gait Analysis|Ultrasound Imaging|"
            "Balance Training|Return to Sport|Musculoskeletal Pain|Cardiac "
            "Rehabilitation"
        ),
        pubmed_share=0.7,
    ),
)

# Title patterns: {a} and {b} are terms of the work's field, {method} and
# {aspect} general words. Filled with str.format.
TITLE_PATTERNS = (
    "{method} {a} for {b}",
    "{a} and {b}: {aspect}",
    "On the {aspect} of {a} in {b}",
    "{aspect} of {a}: Evidence from {b}",
    "Towards {method} {a}",
    "{a} Under {b}: A {study}",
    "{method} Approaches to {a} and {b}",
    "Revisiting {a}: {method} {b}",
    "{a} in {b}: A {study}",
    "Understanding {aspect} in {a}",
)
TITLE_METHODS = _terms(
    "Scalable|Robust|Efficient|Adaptive|Data-Driven|Multi-Scale|Probabilistic|"
    "Hierarchical|Interpretable|Unsupervised|Sparse|Deep|Bayesian|Integrated|"
    "Longitudinal|Quantitative|Comparative|High-Throughput|Real-Time|Distributed|"
    "Causal|Spatiotemporal|Low-Cost|Automated"
)
TITLE_ASPECTS = _terms(
    "Mechanisms|Dynamics|Determinants|Limits|Stability|Variability|Trade-offs|"
    "Predictors|Uncertainty|Heterogeneity|Trends|Scaling Laws|Drivers|Outcomes|"
    "Feedbacks|Constraints|Signatures|Pathways|Benchmarks|Biases"
)
TITLE_STUDIES = _terms(
    "Systematic Review|Cohort Study|Case Study|Meta-Analysis|Randomized Trial|"
    "Cross-Sectional Study|Survey|Simulation Study|Field Experiment|Comparative "
    "Analysis|Multicenter Study|Retrospective Analysis"
)
TOPIC_PATTERNS = ("{a} and {b}", "{a} in {b}", "{a} and {b} Research")

# Abstract words: the most frequent first (drawn with Zipf weights by rank).
ABSTRACT_COMMON = """the of and in to a we is for with that on by this are as
from an be which our these at was results were using can or between show it
based model data study two new has method also its than both approach analysis
proposed their not more been such however significant performance used different
high each into effect first used paper present while further compared through
under during provide method findings framework important propose large time
here within suggest across potential effects three demonstrate approaches
observed increased associated methods values role evaluate high-quality novel
total recent current specific multiple key use via among over system systems
structure process processes range level levels rate changes change future
existing problem problems factors conditions properties distribution including
measured experimental theoretical consistent robust improved improve efficient
significantly respectively order terms case cases type types set sets limited
number higher lower effective evidence available identify identified"""
ABSTRACT_UNCOMMON = """heterogeneous longitudinal benchmark benchmarks baseline
baselines scalability interpretability calibration sensitivity specificity
estimator estimators covariates cohort cohorts prevalence incidence trajectory
trajectories regime regimes coupling threshold thresholds perturbation
perturbations spectrum spectra kinetics morphology topology stochastic
deterministic asymptotic empirical numerical simulations simulation dataset
datasets annotated pipeline pipelines modular hierarchical latent embedding
embeddings inference posterior prior likelihood variance anomalies anomaly
resolution fidelity throughput latency bottleneck bottlenecks mechanism
mechanisms pathway pathways receptor receptors expression regulation
interaction interactions synthesis characterization fabrication deployment
assessment surveillance intervention interventions outcomes mortality morbidity
adherence compliance governance policy policies stakeholders institutional
regional global local temporal spatial nonlinear linear dimensional
multimodal cross-sectional retrospective prospective randomized controlled
qualitative quantitative mixed-methods survey interviews participants
respondents"""

GIVEN_NAMES = """Wei Jing Li Min Yan Hui Jun Xin Lei Yu Hao Ying Chen Fang Tao
Priya Rahul Anjali Arjun Deepak Sunita Vikram Kavya Rohan Meera Amit Neha
Maria José Juan Carlos Ana Luis Sofía Diego Camila Javier Lucía Pedro Gabriela
Mohammed Ahmed Fatima Omar Aisha Hassan Layla Yusuf Zainab Karim Noor Ali
John Michael David James Robert Sarah Emily Jennifer Laura Thomas Daniel Anna
Peter Paul Mark Susan Karen Elizabeth Richard Andrew Rachel Christopher
Hiroshi Yuki Takeshi Akiko Kenji Haruka Naoko Daisuke Emi Sho
Min-jun Ji-woo Seo-yeon Hyun-woo Eun-ji Jae-hyun
Olga Ivan Dmitri Natalia Sergei Elena Alexei Irina
Hans Jürgen Katrin Stefan Ulrike Matthias Sabine Lukas Annika Jonas
François Élodie Camille Julien Mathilde Antoine Inès Benoît
Giulia Marco Francesca Luca Chiara Matteo Alessandra Giovanni
Søren Ingrid Lars Astrid Mikkel Sigrid Björn Åsa
Kwame Ama Chinedu Ngozi Tendai Thabo Amina Oluwaseun Wanjiru Kofi
Mehmet Ayşe Emre Zeynep Łukasz Agnieszka Tomasz Katarzyna
Thanh Linh Minh Anh Tuan Siti Nurul Arif Dewi
Zoë Noémie João Beatriz Tiago Mariana Rafael Fernanda"""
FAMILY_NAMES = """Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu
Guo He Lin Gao Luo Zheng Liang Xie Song Tang Han Feng Deng Cao Peng
Kumar Singh Sharma Patel Gupta Reddy Rao Iyer Nair Das Joshi Mehta Banerjee
Kim Lee Park Choi Jung Kang Cho Yoon
Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi
Nguyen Tran Le Pham Hoang
Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas
Moore Martin Jackson White Harris Clark Lewis Walker Hall Young Allen King
García Rodríguez Martínez López González Hernández Pérez Sánchez Ramírez
Torres Flores Rivera Gómez Díaz Morales Ortiz Silva Santos Oliveira Costa
Pereira Ferreira Almeida
Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Hoffmann Schäfer
Dubois Bernard Lefèvre Moreau Laurent Rousseau Girard
Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci
Ivanov Smirnov Kuznetsov Popov Petrov Volkov
Nielsen Hansen Andersen Larsen Johansson Karlsson Lindqvist Ødegård
Kowalski Nowak Wiśniewski Wójcik Yılmaz Kaya Demir Şahin Çelik
Okafor Mensah Mwangi Dlamini Adeyemi Osei Nkosi Abubakar
Hassan Ali Khan Ahmed Rahman Hosseini Karimi Haddad Mansour
Cohen Levi Friedman Novak Horvat Kovač"""
# Family names drawn this many times more often than the rest, in order:
# a few surnames are shared by a large share of authors (name ambiguity).
FREQUENT_FAMILY_NAMES = 30

DEPARTMENTS = _terms(
    "Department of Physics|Department of Computer Science|School of Medicine|"
    "Department of Chemistry|Institute of Biology|Department of Economics|"
    "School of Engineering|Department of Mathematics|Faculty of Social Sciences|"
    "Department of Psychology|Center for Environmental Research|Graduate School "
    "of Informatics|Department of Materials Science|Laboratory of Molecular "
    "Genetics|Division of Cardiology|Department of Epidemiology|School of Nursing|"
    "Institute for Energy Research|Department of Earth Sciences|Faculty of Arts"
)
PLACE_HEADS = """Ash Bel Cor Dun Elm Fal Glen Hal Iver Kel Lan Mar Nor Ost Pen
Quar Ros Sal Tor Ul Val Wes Yar Zel Bram Cald Dor Fen Har Kirk Lyn Mor Ried
Stan Thorn Wick Alder Brook Clay Drey"""
PLACE_TAILS = """ford haven mere ton wick bury field port vale stead holm by
dale moor ridge minster gate bridge"""
# Institution name patterns and their OpenAlex types.
INSTITUTION_PATTERNS = (
    ("University of {place}", "education"),
    ("{place} University", "education"),
    ("{place} Institute of Technology", "education"),
    ("{place} State University", "education"),
    ("Technical University of {place}", "education"),
    ("{place} College", "education"),
    ("{place} University Hospital", "healthcare"),
    ("{place} Medical Center", "healthcare"),
    ("{place} National Laboratory", "facility"),
    ("{place} Research Institute", "facility"),
    ("{place} Institute for Advanced Study", "nonprofit"),
    ("{place} Labs", "company"),
    ("{place} Geological Survey", "government"),
)

# (ISO code, name, share of institutions).
COUNTRIES = (
    ("US", "United States", 22),
    ("CN", "China", 18),
    ("GB", "United Kingdom", 6),
    ("DE", "Germany", 5.5),
    ("JP", "Japan", 4.5),
    ("IN", "India", 4.5),
    ("FR", "France", 3.5),
    ("IT", "Italy", 3),
    ("CA", "Canada", 3),
    ("KR", "South Korea", 3),
    ("AU", "Australia", 2.5),
    ("ES", "Spain", 2.5),
    ("BR", "Brazil", 2.5),
    ("NL", "Netherlands", 1.5),
    ("RU", "Russia", 1.5),
    ("IR", "Iran", 1.5),
    ("TR", "Türkiye", 1.2),
    ("CH", "Switzerland", 1.2),
    ("SE", "Sweden", 1),
    ("PL", "Poland", 1),
    ("TW", "Taiwan", 1),
    ("BE", "Belgium", 0.8),
    ("DK", "Denmark", 0.7),
    ("ZA", "South Africa", 0.6),
    ("NG", "Nigeria", 0.5),
    ("MX", "Mexico", 0.6),
    ("EG", "Egypt", 0.6),
    ("SG", "Singapore", 0.5),
    ("VN", "Vietnam", 0.4),
    ("KE", "Kenya", 0.3),
)

# (code, share of works); None: the language is not known.
LANGUAGES = (
    ("en", 90),
    ("zh", 2.5),
    ("es", 1.5),
    ("de", 1),
    ("fr", 1),
    ("pt", 1),
    ("ja", 0.7),
    ("ru", 0.7),
    (None, 1.6),
)

SOURCE_PATTERNS = {
    "journal": (
        "Journal of {term}",
        "International Journal of {term}",
        "{term} Letters",
        "Annals of {term}",
        "{term} Reviews",
        "Advances in {term}",
        "{field} Reports",
        "Frontiers of {term}",
    ),
    "conference": (
        "Proceedings of the Conference on {term}",
        "International Symposium on {term}",
        "Workshop on {term}",
    ),
    "book series": ("Lecture Notes in {term}", "Studies in {term}"),
}

SDGS = _terms(
    "No poverty|Zero hunger|Good health and well-being|Quality Education|Gender "
    "equality|Clean water and sanitation|Affordable and clean energy|Decent work "
    "and economic growth|Industry, innovation and infrastructure|Reduced "
    "inequalities|Sustainable cities and communities|Responsible consumption and "
    "production|Climate action|Life below water|Life in Land|Peace, Justice and "
    "strong institutions|Partnerships for the goals"
)
MESH_DESCRIPTORS = _terms(
    "Humans|Female|Male|Adult|Middle Aged|Aged|Animals|Mice|Risk Factors|"
    "Treatment Outcome|Retrospective Studies|Prospective Studies|Cohort Studies|"
    "Child|Adolescent|Young Adult|Prognosis|Incidence|Prevalence|Surveys and "
    "Questionnaires|Cell Line, Tumor|Gene Expression Regulation|Signal "
    "Transduction|Quality of Life"
)
FUNDER_NAMES = _terms(
    "National Science Foundation|National Natural Science Foundation of China|"
    "National Institutes of Health|European Research Council|Deutsche "
    "Forschungsgemeinschaft|Japan Society for the Promotion of Science|Wellcome "
    "Trust|Engineering and Physical Sciences Research Council|Agence Nationale de "
    "la Recherche|Natural Sciences and Engineering Research Council of Canada|"
    "Australian Research Council|National Research Foundation of Korea|Swiss "
    "National Science Foundation|Bill & Melinda Gates Foundation|Horizon 2020"
)
LICENSES = ("cc-by", "cc-by-nc", "cc-by-nc-nd", "cc-by-sa", "other-oa")
