-- reference.sql -- the reference data of the university: colleges, their
-- departments and the degree levels (tables from migration 0004). Loaded
-- by tests/stack.sh (before demo.sql) and by deployments, as
-- scholarship_owner. Idempotent: every row is an upsert keyed by code, so
-- loading it again changes nothing, and editing a name here and reloading
-- updates it. Rows removed from this file are not deleted (users and
-- student records may still name them); set active = false instead.
BEGIN;

INSERT INTO degrees (code, name, name_en, sort_order) VALUES
    ('bachelor', '學士', 'Bachelor''s', 10),
    ('master',   '碩士', 'Master''s',   20),
    ('phd',      '博士', 'Doctoral',    30)
ON CONFLICT (code) DO UPDATE SET
    name = EXCLUDED.name, name_en = EXCLUDED.name_en, sort_order = EXCLUDED.sort_order;

INSERT INTO colleges (code, name, name_en, active, sort_order) VALUES
    ('LIB', '文學院',           'College of Liberal Arts',                                   true,  10),
    ('SCI', '理學院',           'College of Science',                                        true,  20),
    ('SOC', '社會科學院',       'College of Social Sciences',                                true,  30),
    ('MED', '醫學院',           'College of Medicine',                                       true,  40),
    ('ENG', '工學院',           'College of Engineering',                                    true,  50),
    ('BIO', '生物資源暨農學院', 'College of Bioresources and Agriculture',                   true,  60),
    ('MGT', '管理學院',         'College of Management',                                     true,  70),
    ('LAW', '法律學院',         'College of Law',                                            true,  80),
    ('EE',  '電機資訊學院',     'College of Electrical Engineering and Computer Science',    true,  90),
    ('DES', '設計學院',         'College of Design',                                         true, 100)
ON CONFLICT (code) DO UPDATE SET
    name = EXCLUDED.name, name_en = EXCLUDED.name_en, active = EXCLUDED.active,
    sort_order = EXCLUDED.sort_order;

INSERT INTO departments (code, college_code, name, name_en, degree_levels, active, sort_order) VALUES
    -- 文學院 College of Liberal Arts
    ('CHIN',  'LIB', '中國文學系',             'Department of Chinese Literature',                        '{bachelor,master,phd}', true, 10),
    ('FLL',   'LIB', '外國語文學系',           'Department of Foreign Languages and Literatures',         '{bachelor,master,phd}', true, 20),
    ('HIST',  'LIB', '歷史學系',               'Department of History',                                   '{bachelor,master,phd}', true, 30),
    ('PHIL',  'LIB', '哲學系',                 'Department of Philosophy',                                '{bachelor,master,phd}', true, 40),
    ('ANTH',  'LIB', '人類學系',               'Department of Anthropology',                              '{bachelor,master,phd}', true, 50),
    ('TWLIT', 'LIB', '臺灣文學研究所',         'Graduate Institute of Taiwan Literature',                 '{master,phd}',          true, 60),
    -- 理學院 College of Science
    ('MATH',  'SCI', '數學系',                 'Department of Mathematics',                               '{bachelor,master,phd}', true, 10),
    ('PHYS',  'SCI', '物理學系',               'Department of Physics',                                   '{bachelor,master,phd}', true, 20),
    ('CHEM',  'SCI', '化學系',                 'Department of Chemistry',                                 '{bachelor,master,phd}', true, 30),
    ('GEOS',  'SCI', '地質科學系',             'Department of Geosciences',                               '{bachelor,master,phd}', true, 40),
    ('PSY',   'SCI', '心理學系',               'Department of Psychology',                                '{bachelor,master,phd}', true, 50),
    -- 社會科學院 College of Social Sciences
    ('POLS',  'SOC', '政治學系',               'Department of Political Science',                         '{bachelor,master,phd}', true, 10),
    ('ECON',  'SOC', '經濟學系',               'Department of Economics',                                 '{bachelor,master,phd}', true, 20),
    ('SOCIO', 'SOC', '社會學系',               'Department of Sociology',                                 '{bachelor,master,phd}', true, 30),
    ('SWK',   'SOC', '社會工作學系',           'Department of Social Work',                               '{bachelor,master,phd}', true, 40),
    -- 醫學院 College of Medicine
    ('MEDI',  'MED', '醫學系',                 'School of Medicine',                                      '{bachelor}',            true, 10),
    ('DENT',  'MED', '牙醫學系',               'School of Dentistry',                                     '{bachelor,master}',     true, 20),
    ('PHARM', 'MED', '藥學系',                 'School of Pharmacy',                                      '{bachelor,master,phd}', true, 30),
    ('NURS',  'MED', '護理學系',               'School of Nursing',                                       '{bachelor,master,phd}', true, 40),
    ('PT',    'MED', '物理治療學系',           'School of Physical Therapy',                              '{bachelor,master,phd}', true, 50),
    -- 工學院 College of Engineering
    ('CE',    'ENG', '土木工程學系',           'Department of Civil Engineering',                         '{bachelor,master,phd}', true, 10),
    ('ME',    'ENG', '機械工程學系',           'Department of Mechanical Engineering',                    '{bachelor,master,phd}', true, 20),
    ('CHE',   'ENG', '化學工程學系',           'Department of Chemical Engineering',                      '{bachelor,master,phd}', true, 30),
    ('MSE',   'ENG', '材料科學與工程學系',     'Department of Materials Science and Engineering',         '{bachelor,master,phd}', true, 40),
    ('ESOE',  'ENG', '工程科學及海洋工程學系', 'Department of Engineering Science and Ocean Engineering', '{bachelor,master,phd}', true, 50),
    -- 生物資源暨農學院 College of Bioresources and Agriculture
    ('AGRON', 'BIO', '農藝學系',               'Department of Agronomy',                                  '{bachelor,master,phd}', true, 10),
    ('FOR',   'BIO', '森林環境暨資源學系',     'School of Forestry and Resource Conservation',            '{bachelor,master,phd}', true, 20),
    ('ANSCI', 'BIO', '動物科學技術學系',       'Department of Animal Science and Technology',             '{bachelor,master,phd}', true, 30),
    ('VM',    'BIO', '獸醫學系',               'School of Veterinary Medicine',                           '{bachelor,master,phd}', true, 40),
    ('HORT',  'BIO', '園藝暨景觀學系',         'Department of Horticulture and Landscape Architecture',   '{bachelor,master,phd}', true, 50),
    -- 管理學院 College of Management
    ('BA',    'MGT', '工商管理學系',           'Department of Business Administration',                   '{bachelor,master,phd}', true, 10),
    ('ACCT',  'MGT', '會計學系',               'Department of Accounting',                                '{bachelor,master,phd}', true, 20),
    ('FIN',   'MGT', '財務金融學系',           'Department of Finance',                                   '{bachelor,master,phd}', true, 30),
    ('IB',    'MGT', '國際企業學系',           'Department of International Business',                    '{bachelor,master,phd}', true, 40),
    ('IM',    'MGT', '資訊管理學系',           'Department of Information Management',                    '{bachelor,master,phd}', true, 50),
    -- 法律學院 College of Law
    ('LAW',   'LAW', '法律學系',               'Department of Law',                                       '{bachelor,master,phd}', true, 10),
    ('ILS',   'LAW', '科際整合法律學研究所',   'Graduate Institute of Interdisciplinary Legal Studies',   '{master}',              true, 20),
    -- 電機資訊學院 College of Electrical Engineering and Computer Science
    ('EE',    'EE',  '電機工程學系',           'Department of Electrical Engineering',                    '{bachelor,master,phd}', true, 10),
    ('CSIE',  'EE',  '資訊工程學系',           'Department of Computer Science and Information Engineering', '{bachelor,master,phd}', true, 20),
    ('GIEE',  'EE',  '電子工程學研究所',       'Graduate Institute of Electronics Engineering',           '{master,phd}',          true, 30),
    ('GICE',  'EE',  '電信工程學研究所',       'Graduate Institute of Communication Engineering',         '{master,phd}',          true, 40),
    ('GIPO',  'EE',  '光電工程學研究所',       'Graduate Institute of Photonics and Optoelectronics',     '{master,phd}',          true, 50),
    ('GINM',  'EE',  '資訊網路與多媒體研究所', 'Graduate Institute of Networking and Multimedia',         '{master,phd}',          true, 60),
    -- 設計學院 College of Design
    ('ARCH',  'DES', '建築學系',               'Department of Architecture',                              '{bachelor,master}',     true, 10),
    ('ID',    'DES', '工業設計學系',           'Department of Industrial Design',                         '{bachelor,master}',     true, 20),
    ('VCD',   'DES', '視覺傳達設計學系',       'Department of Visual Communication Design',               '{bachelor,master}',     true, 30),
    ('UP',    'DES', '都市計劃學系',           'Department of Urban Planning',                            '{bachelor,master,phd}', true, 40)
ON CONFLICT (code) DO UPDATE SET
    college_code = EXCLUDED.college_code, name = EXCLUDED.name, name_en = EXCLUDED.name_en,
    degree_levels = EXCLUDED.degree_levels, active = EXCLUDED.active,
    sort_order = EXCLUDED.sort_order;

COMMIT;
